package dev.linden.kvnode.events;

import java.util.Arrays;
import java.util.function.LongUnaryOperator;

/** Packing of an event's arrays into short strings, and a log's terms into runs. */
final class LogRuns {
    private LogRuns() {}

    /**
     * The runs of equal terms of a log over (afterIndex, lastIndex], found by binary search (terms never
     * decrease along a log): O(runs x log entries) calls of {@code termAt}, not one per entry. Returns
     * {runStart, runTerm}.
     */
    static long[][] of(LongUnaryOperator termAt, long afterIndex, long lastIndex) {
        long[] start = new long[4];
        long[] term = new long[4];
        int runs = 0;
        long i = afterIndex + 1;
        while (i <= lastIndex) {
            long t = termAt.applyAsLong(i);
            long lo = i;
            long hi = lastIndex; // the last index of term t lies in [lo, hi]
            while (lo < hi) {
                long mid = lo + (hi - lo + 1) / 2;
                if (termAt.applyAsLong(mid) == t) {
                    lo = mid;
                } else {
                    hi = mid - 1;
                }
            }
            if (runs == start.length) {
                start = Arrays.copyOf(start, runs * 2);
                term = Arrays.copyOf(term, runs * 2);
            }
            start[runs] = i;
            term[runs++] = t;
            i = lo + 1;
        }
        return new long[][] {Arrays.copyOf(start, runs), Arrays.copyOf(term, runs)};
    }

    static String encode(long[] runStart, long[] runTerm) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < runStart.length; i++) {
            b.append(i == 0 ? "" : ",").append(runStart[i]).append(':').append(runTerm[i]);
        }
        return b.toString();
    }

    static long[][] decode(String s) {
        if (s.isEmpty()) {
            return new long[][] {new long[0], new long[0]};
        }
        String[] parts = s.split(",");
        long[] start = new long[parts.length];
        long[] term = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            int c = parts[i].indexOf(':');
            start[i] = Long.parseLong(parts[i].substring(0, c));
            term[i] = Long.parseLong(parts[i].substring(c + 1));
        }
        return new long[][] {start, term};
    }

    /** Terms of consecutive entries as runs: {@code "term*count,..."}. */
    static String encodeTerms(long[] terms) {
        StringBuilder b = new StringBuilder();
        int i = 0;
        while (i < terms.length) {
            int j = i;
            while (j < terms.length && terms[j] == terms[i]) {
                j++;
            }
            b.append(i == 0 ? "" : ",").append(terms[i]).append('*').append(j - i);
            i = j;
        }
        return b.toString();
    }

    /** At most {@code maxEntries} terms: a line cannot make a reader allocate without bound. */
    static long[] decodeTerms(String s) {
        String[] parts = s.split(",");
        long[] out = new long[16];
        int n = 0;
        for (String p : parts) {
            int star = p.indexOf('*');
            long term = Long.parseLong(p.substring(0, star));
            int count = Integer.parseInt(p.substring(star + 1));
            if (count < 1 || n + (long) count > MAX_ENTRIES_PER_LINE) {
                throw new IllegalArgumentException("bad run " + p);
            }
            if (n + count > out.length) {
                out = Arrays.copyOf(out, Math.max(n + count, out.length * 2));
            }
            Arrays.fill(out, n, n + count, term);
            n += count;
        }
        return Arrays.copyOf(out, n);
    }

    static final int MAX_ENTRIES_PER_LINE = 1 << 20;

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    static String encodeHashes(int[] hashes) {
        char[] out = new char[hashes.length * 8];
        for (int i = 0; i < hashes.length; i++) {
            int h = hashes[i];
            for (int d = 7; d >= 0; d--) {
                out[i * 8 + d] = HEX[h & 0xf];
                h >>>= 4;
            }
        }
        return new String(out);
    }

    static int[] decodeHashes(String s) {
        if (s.length() % 8 != 0) {
            throw new IllegalArgumentException("hashes are 8 hex digits each");
        }
        int[] out = new int[s.length() / 8];
        for (int i = 0; i < out.length; i++) {
            out[i] = Integer.parseUnsignedInt(s, i * 8, i * 8 + 8, 16);
        }
        return out;
    }

    static String encodeInts(int[] xs) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < xs.length; i++) {
            b.append(i == 0 ? "" : ",").append(xs[i]);
        }
        return b.toString();
    }

    static int[] decodeInts(String s) {
        return s.isEmpty()
                ? new int[0]
                : Arrays.stream(s.split(",")).mapToInt(Integer::parseInt).toArray();
    }
}
