package dev.linden.sim;

import java.util.PriorityQueue;
import java.util.function.BooleanSupplier;

/**
 * The discrete-event world: one thread, a priority queue of (time, sequence) events. Simulated time
 * jumps from event to event. Every executed event is folded into a trace hash; the same seed must give
 * the same hash.
 */
final class SimLoop {
    /** Event kinds, folded into the trace hash. */
    static final int TICK_OR_TIMER = 1;

    static final int STAGE = 2;
    static final int NET = 3;
    static final int DISK = 4;
    static final int CLIENT = 5;
    static final int NEMESIS = 6;

    private static final class Event implements Comparable<Event> {
        final long atNanos;
        final long seq;
        final int kind;
        final int node;
        final Runnable task;
        boolean cancelled;

        Event(long atNanos, long seq, int kind, int node, Runnable task) {
            this.atNanos = atNanos;
            this.seq = seq;
            this.kind = kind;
            this.node = node;
            this.task = task;
        }

        @Override
        public int compareTo(Event o) {
            return atNanos != o.atNanos ? Long.compare(atNanos, o.atNanos) : Long.compare(seq, o.seq);
        }
    }

    /** A handle to cancel a scheduled event. */
    interface Handle {
        void cancel();
    }

    private final PriorityQueue<Event> queue = new PriorityQueue<>();
    private final long maxQueuedEvents;
    /** Bound on events one run may execute: a livelock becomes a clear harness error, not a hang. */
    long maxEventsRun = 50_000_000;

    private long nowNanos;
    private long seq;
    private long eventsRun;
    private long traceHash = 0x6A09E667F3BCC909L;

    SimLoop(long maxQueuedEvents) {
        this.maxQueuedEvents = maxQueuedEvents;
    }

    long nowNanos() {
        return nowNanos;
    }

    long eventsRun() {
        return eventsRun;
    }

    long traceHash() {
        return traceHash;
    }

    /** Folds an observation (a verdict, a digest) into the trace hash. */
    void mix(long value) {
        traceHash = mix(traceHash, value);
    }

    Handle at(long delayNanos, int kind, int node, Runnable task) {
        if (delayNanos < 0) {
            throw new IllegalArgumentException("negative delay " + delayNanos);
        }
        if (queue.size() >= maxQueuedEvents) {
            throw new IllegalStateException("simulation event queue exceeded " + maxQueuedEvents + " events");
        }
        Event e = new Event(nowNanos + delayNanos, seq++, kind, node, task);
        queue.add(e);
        return () -> e.cancelled = true;
    }

    /** Runs the next event; false if there is none or it lies beyond {@code untilNanos}. */
    boolean step(long untilNanos) {
        Event e = queue.peek();
        if (e == null || e.atNanos > untilNanos) {
            return false;
        }
        queue.poll();
        nowNanos = e.atNanos;
        if (!e.cancelled) {
            if (++eventsRun > maxEventsRun) {
                throw new IllegalStateException("event budget of " + maxEventsRun + " events exhausted at "
                        + nowNanos / 1_000_000 + " ms simulated (a livelock?)");
            }
            traceHash = mix(mix(mix(traceHash, e.atNanos), e.kind), e.node);
            e.task.run();
        }
        return true;
    }

    /** Advances the clock to {@code untilNanos} after running everything before it. */
    void runUntil(long untilNanos, BooleanSupplier stop) {
        while (!stop.getAsBoolean() && step(untilNanos)) {
            // keep stepping
        }
        if (!stop.getAsBoolean() && nowNanos < untilNanos) {
            nowNanos = untilNanos;
        }
    }

    static long mix(long h, long v) {
        long z = h ^ (v + 0x9E3779B97F4A7C15L + (h << 6) + (h >>> 2));
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
