package dev.linden.checker.model;

import java.util.Collection;

/**
 * The append values, found in a string without cutting substrings out of it: by a polynomial hash of
 * each (position, length) taken from the string's prefix hashes, then compared character by character.
 */
final class AppendPieces {
    private static final long BASE = 0x100000001B3L;
    /** The distinct lengths of the values, ascending. */
    final int[] lengths;

    private final long[] powerOfLength;
    private final long[] keys;
    private final String[] values;
    private final int mask;

    AppendPieces(Collection<String> all) {
        lengths = all.stream().mapToInt(String::length).distinct().sorted().toArray();
        int maxLength = lengths.length == 0 ? 0 : lengths[lengths.length - 1];
        powerOfLength = new long[maxLength + 1];
        powerOfLength[0] = 1;
        for (int i = 1; i <= maxLength; i++) {
            powerOfLength[i] = powerOfLength[i - 1] * BASE;
        }
        int capacity = Integer.highestOneBit(Math.max(4, all.size() * 2)) << 1;
        keys = new long[capacity];
        values = new String[capacity];
        mask = capacity - 1;
        for (String v : all) {
            long h = 0;
            for (int i = 0; i < v.length(); i++) {
                h = h * BASE + v.charAt(i);
            }
            int slot = slot(h);
            while (values[slot] != null) {
                slot = (slot + 1) & mask;
            }
            keys[slot] = h;
            values[slot] = v;
        }
    }

    private int slot(long h) {
        long x = h * 0x9E3779B97F4A7C15L;
        return (int) (x ^ (x >>> 32)) & mask;
    }

    /** Prefix hashes of {@code v}: entry i hashes v[0..i). */
    long[] prefixHashes(String v) {
        long[] p = new long[v.length() + 1];
        for (int i = 0; i < v.length(); i++) {
            p[i + 1] = p[i] * BASE + v.charAt(i);
        }
        return p;
    }

    /** Is v[from..from+length) one of the values? */
    boolean contains(String v, long[] prefix, int from, int length) {
        long h = prefix[from + length] - prefix[from] * powerOfLength[length];
        for (int slot = slot(h); values[slot] != null; slot = (slot + 1) & mask) {
            String candidate = values[slot];
            if (keys[slot] == h && candidate.length() == length && v.regionMatches(from, candidate, 0, length)) {
                return true;
            }
        }
        return false;
    }
}
