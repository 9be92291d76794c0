package dev.linden.checker;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Objects;

/**
 * The search's memo of configurations already explored, with subsumption. Key: the completed ops
 * linearized and the state. Value: the sets of indeterminate ops linearized with it. Visiting (C, s, L2)
 * after a failed (C, s, L1) with L1 a subset of L2 is pointless: every indeterminate op still open in L2's
 * case is open in L1's too, and may still happen or never happen, so L1's futures include all of L2's.
 */
final class Memo {
    private final HashMap<Key, ArrayList<long[]>> seen = new HashMap<>();
    /** The search's linearized set, one bit per op id (read, never written, here). */
    private final long[] bits;
    /** 1 for indeterminate ops. */
    private final long[] infoMask;

    Memo(long[] bits, long[] infoMask) {
        this.bits = bits;
        this.infoMask = infoMask;
    }

    /**
     * Remembers the configuration {@code bits} and {@code state} ({@code hash}: the Zobrist hash of the
     * completed ops in {@code bits}). Returns the bytes newly retained, or -1 if the visit is subsumed.
     */
    long visit(Object state, long hash) {
        long[] completed = new long[bits.length];
        long[] info = null;
        boolean anyInfo = false;
        for (int i = 0; i < bits.length; i++) {
            completed[i] = bits[i] & ~infoMask[i];
            anyInfo |= (bits[i] & infoMask[i]) != 0;
        }
        if (anyInfo) {
            info = new long[bits.length];
            for (int i = 0; i < bits.length; i++) {
                info[i] = bits[i] & infoMask[i];
            }
        }
        Key k = new Key(completed, state, hash);
        ArrayList<long[]> sets = seen.get(k);
        if (sets == null) {
            sets = new ArrayList<>(1);
            seen.put(k, sets);
            sets.add(info);
            return 96 + 8L * bits.length + (info == null ? 8 : 24 + 8L * bits.length);
        }
        for (long[] earlier : sets) {
            if (subset(earlier, info)) {
                return -1;
            }
        }
        // Drop earlier sets this one subsumes, then remember it.
        final long[] now = info;
        sets.removeIf(earlier -> subset(now, earlier));
        sets.add(info);
        return info == null ? 8 : 24 + 8L * bits.length;
    }

    /** Is a (null = empty) a subset of b (null = empty)? */
    private static boolean subset(long[] a, long[] b) {
        if (a == null) {
            return true;
        }
        if (b == null) {
            for (long w : a) {
                if (w != 0) {
                    return false;
                }
            }
            return true;
        }
        for (int i = 0; i < a.length; i++) {
            if ((a[i] & ~b[i]) != 0) {
                return false;
            }
        }
        return true;
    }

    /** A memo key: the linearized set and the state reached. */
    private static final class Key {
        final long[] bits;
        final Object state;
        final int hash;

        Key(long[] bits, Object state, long zobrist) {
            this.bits = bits;
            this.state = state;
            long h = zobrist * 0x9E3779B97F4A7C15L + (state == null ? 0 : state.hashCode());
            this.hash = (int) (h ^ (h >>> 32));
        }

        @Override
        public int hashCode() {
            return hash;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k
                    && k.hash == hash
                    && Objects.equals(k.state, state)
                    && Arrays.equals(k.bits, bits);
        }
    }
}
