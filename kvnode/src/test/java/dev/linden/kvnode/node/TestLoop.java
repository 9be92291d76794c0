package dev.linden.kvnode.node;

import java.util.PriorityQueue;
import java.util.function.BooleanSupplier;

/** A tiny single-threaded event loop with virtual time, for in-memory cluster tests of the kvnode. */
final class TestLoop {
    private record Event(long atMicros, long seq, Runnable task, boolean[] cancelled) {}

    private final PriorityQueue<Event> queue = new PriorityQueue<>(
            (a, b) -> a.atMicros != b.atMicros ? Long.compare(a.atMicros, b.atMicros) : Long.compare(a.seq, b.seq));
    private long nowMicros;
    private long seq;
    long eventsRun;

    long nowMicros() {
        return nowMicros;
    }

    boolean[] at(long delayMicros, Runnable task) {
        boolean[] cancelled = new boolean[1];
        queue.add(new Event(nowMicros + delayMicros, seq++, task, cancelled));
        return cancelled;
    }

    /** A stage whose tasks run in order after {@code latencyMicros}. */
    Stage stage(long latencyMicros) {
        return new Stage() {
            private long lastScheduledMicros;

            @Override
            public void execute(Runnable task) {
                // Keep FIFO order within the stage even with latency.
                long at = Math.max(nowMicros + latencyMicros, lastScheduledMicros);
                lastScheduledMicros = at;
                TestLoop.this.at(at - nowMicros, task);
            }

            @Override
            public Cancellable schedule(long delayMillis, Runnable task) {
                boolean[] c = at(delayMillis * 1000, task);
                return () -> c[0] = true;
            }
        };
    }

    /** Runs events until {@code done} holds; fails after {@code maxMicros} of virtual time. */
    void runUntil(BooleanSupplier done, long maxMicros) {
        long deadline = nowMicros + maxMicros;
        while (!done.getAsBoolean()) {
            Event e = queue.poll();
            if (e == null || e.atMicros > deadline) {
                throw new AssertionError("condition not reached within " + maxMicros + " us (now " + nowMicros + ")");
            }
            nowMicros = e.atMicros;
            if (!e.cancelled[0]) {
                eventsRun++;
                e.task.run();
            }
        }
    }
}
