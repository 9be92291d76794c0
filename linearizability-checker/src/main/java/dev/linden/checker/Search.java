package dev.linden.checker;

import dev.linden.checker.history.Operation;
import dev.linden.checker.model.Model;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Wing-Gong / Lowe depth-first linearization of one partition, with memoization of
 * (linearized set, state) pairs. Private to the checker; {@link Checker} is the entry point.
 *
 * <p>Calls and returns form a doubly linked list in time order. The search walks it: at a call it
 * tries to linearize that op now (lifting its call and return out of the list); at a return it has met
 * an op that should already have been linearized, so it backtracks. Indeterminate ops have no return:
 * they may be linearized anywhere after their call, or never. The search succeeds once every
 * completed op is linearized.
 */
final class Search {
    enum Outcome {
        LINEARIZABLE,
        NOT_LINEARIZABLE,
        UNKNOWN_TIME,
        UNKNOWN_MEMORY
    }

    private static final int NIL = -1;
    /** How often (in search steps) the deadline is read. */
    private static final int DEADLINE_CHECK_STEPS = 1 << 12;

    private final Model model;
    private final List<Operation> ops;
    final Model.Pruner pruner;
    private final long deadlineNanos;
    private final long maxCacheBytes;

    // Entry list: entries 0..2n-1 are calls and returns; HEAD is the sentinel.
    private final int[] entryOp;
    private final boolean[] entryIsCall;
    private final int[] returnOfCall;
    private final int[] next;
    private final int[] prev;
    private final int head;

    private final long[] zobrist;
    private final long[] bits;
    /** 1 for indeterminate ops: they may be linearized or never, which makes memo subsumption sound. */
    private final long[] infoMask;
    /**
     * Symmetry breaking: indeterminate ops with the same key, function and argument are interchangeable (no
     * return, same effect), so any linearization can be rearranged to use the earliest-invoked ones, in
     * invocation order. classOf[op] is the op's class (-1 if completed), rankInClass its place in it.
     */
    private final int[] classOf;

    private final int[] rankInClass;
    private final int[] linearizedInClass;

    /** Give up (as out of time) after this many steps. */
    private long maxSteps = Long.MAX_VALUE;

    // Results.
    Outcome outcome;
    long steps;
    long cacheEntries;
    /** The longest linearized prefix found, as op ids in order. */
    int[] bestPrefix = new int[0];

    Object bestState;
    /** At the deepest prefix, the completed op whose return came before it could be linearized. */
    int blockingOp = -1;

    Search(Model model, List<Operation> ops, long deadlineNanos, long maxCacheBytes) {
        this(model, ops, model.pruner(ops), deadlineNanos, maxCacheBytes);
    }

    Search(Model model, List<Operation> ops, Model.Pruner pruner, long deadlineNanos, long maxCacheBytes) {
        this.model = model;
        this.ops = ops;
        this.pruner = pruner;
        this.deadlineNanos = deadlineNanos;
        this.maxCacheBytes = maxCacheBytes;
        int n = ops.size();
        // Build the time-ordered entry list. At equal times calls come first (treated as concurrent), then by
        // op id. Event e < n is op e's call, n + e its return; sorted as primitives (this runs per cut).
        int m = 0;
        int[] order = new int[2 * n];
        long[] timeOf = new long[2 * n];
        for (Operation op : ops) {
            order[m++] = op.id();
            timeOf[op.id()] = op.invokeTime();
            if (!op.indeterminate()) {
                order[m++] = n + op.id();
                timeOf[n + op.id()] = op.returnTime();
            }
        }
        sortEvents(order, m, timeOf, n);
        entryOp = new int[m];
        entryIsCall = new boolean[m];
        returnOfCall = new int[m];
        Arrays.fill(returnOfCall, NIL);
        int[] callEntryOfOp = new int[n];
        for (int i = 0; i < m; i++) {
            int ev = order[i];
            entryIsCall[i] = ev < n;
            entryOp[i] = ev < n ? ev : ev - n;
            if (entryIsCall[i]) {
                callEntryOfOp[entryOp[i]] = i;
            } else {
                returnOfCall[callEntryOfOp[entryOp[i]]] = i;
            }
        }
        head = m;
        next = new int[m + 1];
        prev = new int[m + 1];
        for (int i = 0; i < m; i++) {
            next[i] = i + 1 < m ? i + 1 : NIL;
            prev[i] = i == 0 ? head : i - 1;
        }
        next[head] = m == 0 ? NIL : 0;
        prev[head] = NIL;
        zobrist = new long[n];
        SplittableRandom r = new SplittableRandom(0x9E3779B97F4A7C15L);
        for (int i = 0; i < n; i++) {
            zobrist[i] = r.nextLong();
        }
        bits = new long[(n + 63) >>> 6];
        infoMask = new long[bits.length];
        classOf = new int[n];
        rankInClass = new int[n];
        Arrays.fill(classOf, -1);
        HashMap<List<Object>, Integer> classes = new HashMap<>();
        ArrayList<Integer> classSizes = new ArrayList<>();
        List<Operation> byInvoke = new ArrayList<>(ops);
        byInvoke.sort(Comparator.comparingLong(Operation::invokeTime).thenComparingInt(Operation::id));
        for (Operation op : byInvoke) {
            if (op.indeterminate()) {
                infoMask[op.id() >>> 6] |= 1L << op.id();
                zobrist[op.id()] = 0; // the memo key hashes completed ops only
                // Same key too: across keys (a search over several partitions at once) the ops differ.
                List<Object> key = Arrays.asList(op.key(), op.f(), op.input());
                int c = classes.computeIfAbsent(key, k -> {
                    classSizes.add(0);
                    return classSizes.size() - 1;
                });
                classOf[op.id()] = c;
                rankInClass[op.id()] = classSizes.get(c);
                classSizes.set(c, classSizes.get(c) + 1);
            }
        }
        linearizedInClass = new int[classSizes.size()];
    }

    /** Bounds this search's steps; past the bound it ends as {@link Outcome#UNKNOWN_TIME}. */
    void limitSteps(long max) {
        if (max < 1) {
            throw new IllegalArgumentException("step limit must be positive: " + max);
        }
        maxSteps = max;
    }

    /** Orders events by time, calls before returns, then op id: the event number encodes the last two. */
    private static void sortEvents(int[] order, int count, long[] timeOf, int n) {
        // Insertion sort where the input is nearly sorted (small or mostly in order), else a merge sort.
        if (count <= 64) {
            for (int i = 1; i < count; i++) {
                int ev = order[i];
                int j = i - 1;
                while (j >= 0 && eventBefore(ev, order[j], timeOf)) {
                    order[j + 1] = order[j];
                    j--;
                }
                order[j + 1] = ev;
            }
            return;
        }
        int[] tmp = new int[count];
        for (int width = 1; width < count; width <<= 1) {
            for (int lo = 0; lo < count - width; lo += 2 * width) {
                int mid = lo + width;
                int hi = Math.min(lo + 2 * width, count);
                if (!eventBefore(order[mid], order[mid - 1], timeOf)) {
                    continue; // already in order
                }
                int i = lo;
                int j = mid;
                int k = lo;
                while (i < mid && j < hi) {
                    tmp[k++] = eventBefore(order[j], order[i], timeOf) ? order[j++] : order[i++];
                }
                while (i < mid) {
                    tmp[k++] = order[i++];
                }
                while (j < hi) {
                    tmp[k++] = order[j++];
                }
                System.arraycopy(tmp, lo, order, lo, hi - lo);
            }
        }
    }

    /** Strictly before: earlier time; at equal times calls (smaller numbers) first, then by op id. */
    private static boolean eventBefore(int a, int b, long[] timeOf) {
        long ta = timeOf[a];
        long tb = timeOf[b];
        return ta != tb ? ta < tb : a < b;
    }

    /**
     * Memo with subsumption. Key: the completed ops linearized and the state. Value: the sets of
     * indeterminate ops linearized with it. Visiting (C, s, L2) after a failed (C, s, L1) with L1 a subset
     * of L2 is pointless: every indeterminate op still open in L2's case is open in L1's too, and may
     * still happen or never happen, so L1's futures include all of L2's.
     * Returns the bytes newly retained, or -1 if the visit is subsumed.
     */
    private long visit(HashMap<Key, ArrayList<long[]>> memo, Object state, long hash) {
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
        ArrayList<long[]> seen = memo.get(k);
        if (seen == null) {
            seen = new ArrayList<>(1);
            memo.put(k, seen);
            seen.add(info);
            return 96 + 8L * bits.length + (info == null ? 8 : 24 + 8L * bits.length);
        }
        for (long[] earlier : seen) {
            if (subset(earlier, info)) {
                return -1;
            }
        }
        // Drop earlier sets this one subsumes, then remember it.
        final long[] now = info;
        seen.removeIf(earlier -> subset(now, earlier));
        seen.add(info);
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

    private void lift(int call) {
        unlink(call);
        int ret = returnOfCall[call];
        if (ret != NIL) {
            unlink(ret);
        }
    }

    private void unlift(int call) {
        int ret = returnOfCall[call];
        if (ret != NIL) {
            relink(ret);
        }
        relink(call);
    }

    private void unlink(int e) {
        next[prev[e]] = next[e];
        if (next[e] != NIL) {
            prev[next[e]] = prev[e];
        }
    }

    private void relink(int e) {
        next[prev[e]] = e;
        if (next[e] != NIL) {
            prev[next[e]] = e;
        }
    }

    private boolean linearized(int op) {
        return (bits[op >>> 6] & (1L << op)) != 0;
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

    Outcome run() {
        int n = ops.size();
        int remaining = 0;
        boolean[] readOnly = new boolean[n];
        for (Operation op : ops) {
            if (!op.indeterminate()) {
                remaining++;
            }
            readOnly[op.id()] = model.readOnly(op);
        }
        HashMap<Key, ArrayList<long[]>> memo = new HashMap<>();
        long cacheBytes = 0;
        int[] stackEntry = new int[n];
        Object[] stackState = new Object[n];
        boolean[] stackForced = new boolean[n];
        int depth = 0;
        int bestDepth = -1;
        Object state = model.init();
        long hash = 0;
        Model.LinearizedSet view = this::linearized;
        int entry = next[head];
        boolean sweep = true;
        while (true) {
            if (remaining == 0) {
                recordBest(stackEntry, depth, state);
                return outcome = Outcome.LINEARIZABLE;
            }
            if ((++steps & (DEADLINE_CHECK_STEPS - 1)) == 0
                    && (System.nanoTime() > deadlineNanos || steps > maxSteps)) {
                return outcome = Outcome.UNKNOWN_TIME;
            }
            boolean forced = false;
            if (sweep) {
                // A completed read that is invoked and legal now can be linearized now: moving a read-only
                // op earlier, to a point with the same state, keeps any completion valid. So take it
                // without branching; this removes the 2^k subsets of concurrent reads plain WGL explores.
                sweep = false;
                for (int e = next[head]; e != NIL && entryIsCall[e]; e = next[e]) {
                    int op = entryOp[e];
                    if (readOnly[op] && model.step(state, ops.get(op)) != Model.ILLEGAL) {
                        entry = e;
                        forced = true;
                        break;
                    }
                }
            }
            if (entry != NIL && entryIsCall[entry]) {
                int op = entryOp[entry];
                Object after = forced ? state : model.step(state, ops.get(op));
                if (after != Model.ILLEGAL && classOf[op] >= 0 && linearizedInClass[classOf[op]] != rankInClass[op]) {
                    after = Model.ILLEGAL; // an identical, earlier-invoked indeterminate op must take this turn
                }
                if (after != Model.ILLEGAL && !forced && ops.get(op).indeterminate() && Objects.equals(after, state)) {
                    // An indeterminate op that changes nothing now is dominated by leaving it pending: it may
                    // still happen later, or never. Linearizing it here can only lose options.
                    after = Model.ILLEGAL;
                }
                if (after != Model.ILLEGAL) {
                    bits[op >>> 6] |= 1L << op;
                    long h = hash ^ zobrist[op];
                    boolean fresh = false;
                    if (pruner == null || pruner.allows(after, view)) {
                        long added = visit(memo, after, h);
                        fresh = added >= 0;
                        if (fresh) {
                            cacheBytes += added + model.stateBytes(after);
                            cacheEntries++;
                            if (cacheBytes > maxCacheBytes) {
                                recordBest(stackEntry, depth, state);
                                return outcome = Outcome.UNKNOWN_MEMORY;
                            }
                        }
                    }
                    if (fresh) {
                        stackEntry[depth] = entry;
                        stackState[depth] = state;
                        stackForced[depth] = forced;
                        depth++;
                        state = after;
                        hash = h;
                        lift(entry);
                        if (!ops.get(op).indeterminate()) {
                            remaining--;
                        } else {
                            linearizedInClass[classOf[op]]++;
                        }
                        entry = next[head];
                        sweep = true;
                        continue;
                    }
                    bits[op >>> 6] &= ~(1L << op);
                }
                if (!forced) {
                    entry = next[entry];
                    continue;
                }
                // A forced read whose successor state is known dead (cached or pruned): so is this state.
            }
            // A return (an op that should have been linearized by now), the end of the list, or a dead
            // forced read: backtrack, past forced reads, to the last real choice.
            if (depth > bestDepth) {
                bestDepth = depth;
                recordBest(stackEntry, depth, state);
                blockingOp = entry == NIL ? -1 : entryOp[entry];
            }
            int top;
            boolean wasForced;
            do {
                if (depth == 0) {
                    return outcome = Outcome.NOT_LINEARIZABLE;
                }
                depth--;
                top = stackEntry[depth];
                wasForced = stackForced[depth];
                int op = entryOp[top];
                bits[op >>> 6] &= ~(1L << op);
                hash ^= zobrist[op];
                state = stackState[depth];
                stackState[depth] = null;
                unlift(top);
                if (!ops.get(op).indeterminate()) {
                    remaining++;
                } else {
                    linearizedInClass[classOf[op]]--;
                }
            } while (wasForced);
            entry = next[top];
        }
    }

    private void recordBest(int[] stackEntry, int depth, Object state) {
        if (depth >= bestPrefix.length) {
            int[] prefix = new int[depth];
            for (int i = 0; i < depth; i++) {
                prefix[i] = entryOp[stackEntry[i]];
            }
            bestPrefix = prefix;
            bestState = state;
        }
    }
}
