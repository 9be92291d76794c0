package dev.linden.nemesis;

import dev.linden.workloads.gen.Context;
import dev.linden.workloads.gen.Generator;
import dev.linden.workloads.gen.Op;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A random mix of faults ({@link Fault}s) as a pure generator on the nemesis process: a fault of a random kind starts,
 * holds for a random window, and stops (faults that undo themselves, such as {@code bitflip}, are one
 * operation). Kinds are dealt from a shuffled deck: each kind asked for starts once before any starts a
 * second time, so a short run still sees every fault it names (a kind that is busy when drawn stays in
 * the deck; one that can no longer start, such as a second data-destroying fault, leaves it). At most
 * {@link Options#maxConcurrent} are active at once, never two of one kind (nor two partitions); at most
 * one data-destroying fault per run, and only with three nodes or more. With a recovery window, faults
 * never overlap and none starts until the window has passed since the last one stopped (so a cluster
 * hit by kill, partition and pause in turn always gets time to recover between them).
 */
public final class FaultSchedule implements Generator {
    private static final long MS = 1_000_000L;
    /** How long a {@link FaultKind#holdsLong} fault holds. */
    static final long LONG_HOLD_MIN_MILLIS = 8_000;

    static final long LONG_HOLD_MAX_MILLIS = 15_000;
    /**
     * How long a stale leader holds: its cut must outlast the others' election (under a second at their fast
     * clocks) and the writes they then take, and usually ends after it has stepped down (2-4 s at half speed).
     */
    static final long STALE_LEADER_HOLD_MIN_MILLIS = 4_000;

    static final long STALE_LEADER_HOLD_MAX_MILLIS = 8_000;

    /**
     * @param meanGapMillis     mean time between one fault's start and the next one's
     * @param minWindowMillis   shortest a fault is held
     * @param maxWindowMillis   longest a fault is held
     * @param maxConcurrent     faults active at once (1 when a recovery window is set)
     * @param recoveryMillis    0, or the fault-free time guaranteed after each fault stops
     */
    public record Options(
            Set<FaultKind> kinds,
            int nodes,
            long meanGapMillis,
            long minWindowMillis,
            long maxWindowMillis,
            int maxConcurrent,
            long recoveryMillis) {
        public Options {
            kinds = Set.copyOf(kinds);
            if (nodes < 1
                    || meanGapMillis < 1
                    || minWindowMillis < 1
                    || maxWindowMillis < minWindowMillis
                    || maxConcurrent < 1
                    || recoveryMillis < 0) {
                throw new IllegalArgumentException("bad fault schedule options");
            }
            if (recoveryMillis > 0) {
                maxConcurrent = 1;
            }
        }

        public static Options defaults(Set<FaultKind> kinds, int nodes) {
            return new Options(kinds, nodes, 1_450, 300, 4_300, 2, 0);
        }

        /** Scales how often faults start (1.0 = the defaults, 3.0 = a storm). */
        public Options withIntensity(double x) {
            if (!(x > 0) || x > 10) {
                throw new IllegalArgumentException("fault intensity must be in (0, 10]");
            }
            return new Options(
                    kinds,
                    nodes,
                    Math.max(1, (long) (meanGapMillis / x)),
                    minWindowMillis,
                    maxWindowMillis,
                    maxConcurrent,
                    recoveryMillis);
        }

        public Options withRecoveryMillis(long ms) {
            return new Options(kinds, nodes, meanGapMillis, minWindowMillis, maxWindowMillis, maxConcurrent, ms);
        }
    }

    private record Active(FaultKind kind, long stopAtNanos, Fault stop) {}

    private final Options options;
    /** The kinds still to deal in this round, in enum order (the same seed deals the same kinds). */
    private final List<FaultKind> deck;

    private final long nextStartNanos; // Long.MIN_VALUE: not yet asked
    private final List<Active> active;
    private final boolean destroyedData;

    public FaultSchedule(Options options) {
        this(options, List.of(), Long.MIN_VALUE, List.of(), false);
    }

    private FaultSchedule(
            Options options, List<FaultKind> deck, long nextStartNanos, List<Active> active, boolean destroyedData) {
        this.options = options;
        this.deck = List.copyOf(deck);
        this.nextStartNanos = nextStartNanos;
        this.active = List.copyOf(active);
        this.destroyedData = destroyedData;
    }

    /** Kinds that can still start in this run, in enum order. */
    private List<FaultKind> startable(boolean destroyed) {
        List<FaultKind> ks = new ArrayList<>();
        for (FaultKind k : FaultKind.values()) {
            if (options.kinds().contains(k) && !(k.destroysData() && (destroyed || options.nodes() < 3))) {
                ks.add(k);
            }
        }
        return ks;
    }

    private FaultSchedule with(List<FaultKind> deck, long nextStartNanos, List<Active> active, boolean destroyed) {
        return new FaultSchedule(options, deck, nextStartNanos, active, destroyed);
    }

    @Override
    public Step next(Context ctx) {
        if (options.kinds().isEmpty()) {
            return EXHAUSTED;
        }
        long now = ctx.timeNanos();
        if (nextStartNanos == Long.MIN_VALUE) {
            long first = now + (200 + ctx.random().nextInt(800)) * MS;
            return with(deck, first, active, destroyedData).next(ctx);
        }
        if (!ctx.freeProcesses().contains(Context.NEMESIS)) {
            return new Pending(this, Long.MAX_VALUE);
        }
        // Stop what is due first.
        Active due = null;
        for (Active a : active) {
            if (due == null || a.stopAtNanos < due.stopAtNanos) {
                due = a;
            }
        }
        if (due != null && due.stopAtNanos <= now) {
            List<Active> rest = new ArrayList<>(active);
            rest.remove(due);
            long next = options.recoveryMillis() > 0
                    ? Math.max(nextStartNanos, now + options.recoveryMillis() * MS)
                    : nextStartNanos;
            return new Emit(at(due.stop, now), with(deck, next, rest, destroyedData));
        }
        long wake = due == null ? nextStartNanos : Math.min(due.stopAtNanos, nextStartNanos);
        if (now < nextStartNanos || active.size() >= options.maxConcurrent()) {
            return new Pending(this, active.size() >= options.maxConcurrent() ? due.stopAtNanos : wake);
        }
        List<FaultKind> round = deck.isEmpty() ? startable(destroyedData) : deck;
        if (round.isEmpty()) {
            return active.isEmpty()
                    ? EXHAUSTED
                    : new Pending(with(round, nextStartNanos, active, destroyedData), due.stopAtNanos);
        }
        FaultKind kind = round.get(ctx.random().nextInt(round.size()));
        long gap = (long) ((0.14 + ctx.random().nextDouble() * 1.72) * options.meanGapMillis()) * MS;
        boolean busy = kind.exclusive() && !active.isEmpty();
        for (Active a : active) {
            busy |= a.kind.conflictsWith(kind) || a.kind.exclusive();
        }
        if (busy) {
            // Not this kind now: skip this slot, the kind stays dealt-to-come (the schedule stays a function
            // of the seed).
            return with(round, now + gap, active, destroyedData).next(ctx);
        }
        boolean destroyed = destroyedData || kind.destroysData();
        List<FaultKind> rest = new ArrayList<>(round);
        rest.remove(kind);
        rest.retainAll(startable(destroyed));
        Fault start = FaultOps.start(kind, ctx.random(), options.nodes());
        Fault stop = FaultOps.stop(kind);
        List<Active> next = new ArrayList<>(active);
        if (stop != null) {
            long window = kind.holdsLong()
                    ? LONG_HOLD_MIN_MILLIS + ctx.random().nextLong(LONG_HOLD_MAX_MILLIS - LONG_HOLD_MIN_MILLIS + 1)
                    : kind == FaultKind.STALE_LEADER
                            ? STALE_LEADER_HOLD_MIN_MILLIS
                                    + ctx.random()
                                            .nextLong(STALE_LEADER_HOLD_MAX_MILLIS - STALE_LEADER_HOLD_MIN_MILLIS + 1)
                            : options.minWindowMillis()
                                    + ctx.random().nextLong(options.maxWindowMillis() - options.minWindowMillis() + 1);
            next.add(new Active(kind, now + window * MS, stop));
        }
        long nextStart = now + gap;
        if (stop == null && options.recoveryMillis() > 0) {
            nextStart = Math.max(nextStart, now + options.recoveryMillis() * MS);
        }
        return new Emit(at(start, now), with(rest, nextStart, next, destroyed));
    }

    private static Op at(Fault fault, long now) {
        return new Op(fault.name(), null, fault, Context.NEMESIS, now);
    }
}
