package dev.linden.kvnode.node;

/**
 * A single-threaded stage: tasks run one at a time, in submission order for {@link #execute}. Production
 * binds one thread per stage; the simulator runs every stage of every node on one event loop, with
 * simulated latencies and each node's own (skewed, drifting) clock for delays.
 */
public interface Stage {
    /** Runs {@code task} on this stage soon. Must not block the caller. */
    void execute(Runnable task);

    /** Runs {@code task} on this stage after {@code delayMillis} of this node's clock. */
    Cancellable schedule(long delayMillis, Runnable task);

    interface Cancellable {
        void cancel();
    }
}
