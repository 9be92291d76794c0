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
 *
 * <p>The search loop ({@link #run}) is the checker's hot path: its steps are small private methods over
 * this object's arrays, and it allocates only what the model and the {@link Memo} keep.
 */
final class Search {
    enum Outcome {
        LINEARIZABLE,
        NOT_LINEARIZABLE,
        UNKNOWN_TIME,
        UNKNOWN_MEMORY
    }

    private static final int NIL = EntryList.NIL;
    /** How often (in search steps) the deadline is read. */
    private static final int DEADLINE_CHECK_STEPS = 1 << 12;
    /** {@link #tryLinearize}: the op was linearized, the search is one deeper. */
    private static final int DESCENDED = 0;
    /** {@link #tryLinearize}: the op cannot be linearized here, or what follows is known dead. */
    private static final int REJECTED = 1;
    /** {@link #tryLinearize}: the memo outgrew its bound. */
    private static final int OUT_OF_MEMORY = 2;

    private final Model model;
    private final List<Operation> ops;
    final Model.Pruner pruner;
    private final long deadlineNanos;
    private final long maxCacheBytes;

    // Entry list ({@link EntryList}): entries 0..2n-1 are calls and returns; HEAD is the sentinel.
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

    private final Memo memo;
    private final Model.LinearizedSet view = this::linearized;
    /** readOnly[op]: the model says op changes no state. */
    private final boolean[] readOnly;

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

    // The search's position: the ops linearized (bits, and a stack of the entries taken with the state
    // before each), the state reached and its hash, and the completed ops still to linearize.
    private final int[] stackEntry;
    private final Object[] stackState;
    /** stackForced[d]: the entry at depth d was a read taken without branching (not a choice). */
    private final boolean[] stackForced;

    private int depth;
    private Object state;
    private long hash;
    private int remaining;
    private long cacheBytes;

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
        EntryList list = new EntryList(ops); // its arrays are this search's: the hot loop reads them directly
        entryOp = list.entryOp;
        entryIsCall = list.entryIsCall;
        returnOfCall = list.returnOfCall;
        next = list.next;
        prev = list.prev;
        head = list.head;
        zobrist = new long[n];
        SplittableRandom r = new SplittableRandom(0x9E3779B97F4A7C15L);
        for (int i = 0; i < n; i++) {
            zobrist[i] = r.nextLong();
        }
        bits = new long[(n + 63) >>> 6];
        infoMask = new long[bits.length];
        classOf = new int[n];
        rankInClass = new int[n];
        linearizedInClass = new int[classifyIndeterminate()];
        memo = new Memo(bits, infoMask);
        readOnly = new boolean[n];
        stackEntry = new int[n];
        stackState = new Object[n];
        stackForced = new boolean[n];
    }

    /**
     * Marks the indeterminate ops (infoMask; out of the memo key's hash) and sorts them into classes of
     * interchangeable ops (classOf, rankInClass). Returns the number of classes.
     */
    private int classifyIndeterminate() {
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
        return classSizes.size();
    }

    /** Bounds this search's steps; past the bound it ends as {@link Outcome#UNKNOWN_TIME}. */
    void limitSteps(long max) {
        if (max < 1) {
            throw new IllegalArgumentException("step limit must be positive: " + max);
        }
        maxSteps = max;
    }

    /** Searches for a linearization; the outcome is also left in {@link #outcome}. */
    Outcome run() {
        start();
        int bestDepth = -1;
        int entry = next[head];
        boolean sweep = true;
        while (true) {
            if (remaining == 0) {
                recordBest();
                return outcome = Outcome.LINEARIZABLE;
            }
            if ((++steps & (DEADLINE_CHECK_STEPS - 1)) == 0
                    && (System.nanoTime() > deadlineNanos || steps > maxSteps)) {
                return outcome = Outcome.UNKNOWN_TIME;
            }
            boolean forced = false;
            if (sweep) {
                sweep = false;
                int read = legalReadNow();
                if (read != NIL) {
                    entry = read;
                    forced = true;
                }
            }
            if (entry != NIL && entryIsCall[entry]) {
                int step = tryLinearize(entry, forced);
                if (step == DESCENDED) {
                    entry = next[head];
                    sweep = true;
                    continue;
                }
                if (step == OUT_OF_MEMORY) {
                    recordBest();
                    return outcome = Outcome.UNKNOWN_MEMORY;
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
                recordBest();
                blockingOp = entry == NIL ? -1 : entryOp[entry];
            }
            int choice = backtrack();
            if (choice == NIL) {
                return outcome = Outcome.NOT_LINEARIZABLE;
            }
            entry = next[choice];
        }
    }

    /** The position before any op is linearized. */
    private void start() {
        remaining = 0;
        for (Operation op : ops) {
            if (!op.indeterminate()) {
                remaining++;
            }
            readOnly[op.id()] = model.readOnly(op);
        }
        depth = 0;
        state = model.init();
        hash = 0;
        cacheBytes = 0;
    }

    /**
     * A completed read that is invoked and legal now can be linearized now: moving a read-only op earlier,
     * to a point with the same state, keeps any completion valid. So it is taken without branching; this
     * removes the 2^k subsets of concurrent reads plain WGL explores. Returns its call entry, or NIL.
     */
    private int legalReadNow() {
        for (int e = next[head]; e != NIL && entryIsCall[e]; e = next[e]) {
            int op = entryOp[e];
            if (readOnly[op] && model.step(state, ops.get(op)) != Model.ILLEGAL) {
                return e;
            }
        }
        return NIL;
    }

    /**
     * Linearizes the op called at {@code entry} now, if the model allows it and the position reached is
     * neither pruned nor in the memo: then it descends (pushes the choice, lifts the op out of the list).
     * A {@code forced} read is already known legal.
     */
    private int tryLinearize(int entry, boolean forced) {
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
        if (after == Model.ILLEGAL) {
            return REJECTED;
        }
        bits[op >>> 6] |= 1L << op;
        long h = hash ^ zobrist[op];
        boolean fresh = false;
        if (pruner == null || pruner.allows(after, view)) {
            long added = memo.visit(after, h);
            fresh = added >= 0;
            if (fresh) {
                cacheBytes += added + model.stateBytes(after);
                cacheEntries++;
                if (cacheBytes > maxCacheBytes) {
                    return OUT_OF_MEMORY;
                }
            }
        }
        if (!fresh) {
            bits[op >>> 6] &= ~(1L << op);
            return REJECTED;
        }
        descend(entry, forced, op, after, h);
        return DESCENDED;
    }

    private void descend(int entry, boolean forced, int op, Object after, long afterHash) {
        stackEntry[depth] = entry;
        stackState[depth] = state;
        stackForced[depth] = forced;
        depth++;
        state = after;
        hash = afterHash;
        lift(entry);
        if (!ops.get(op).indeterminate()) {
            remaining--;
        } else {
            linearizedInClass[classOf[op]]++;
        }
    }

    /**
     * Undoes linearizations, forced reads and then the last real choice; returns that choice's entry, or
     * NIL if there is none left (the search space is exhausted).
     */
    private int backtrack() {
        int top;
        boolean wasForced;
        do {
            if (depth == 0) {
                return NIL;
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
        return top;
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

    /** Keeps the position as the longest linearized prefix, if it is one. */
    private void recordBest() {
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
