package dev.linden.harness;

import java.util.function.BooleanSupplier;

/**
 * The runner's time and its one thread of control, as a cluster provides them: the simulator's event
 * loop (simulated time, one thread, deterministic), or a single event thread on the wall clock for real
 * processes. The runner, clients' completions and the nemesis's completions all run as its tasks, so the
 * runner never needs a lock.
 */
public interface Scheduler {
    /** Time since the test began, in nanoseconds. */
    long nowNanos();

    /** Runs {@code task} {@code delayNanos} from now, as a task of this scheduler. */
    void schedule(long delayNanos, Runnable task);

    /**
     * Runs tasks until {@code done} holds or the time reaches {@code deadlineNanos}; the caller's thread
     * waits (real world) or runs them (simulator). {@code done} is evaluated between tasks.
     *
     * @return whether {@code done} held
     */
    boolean runUntil(long deadlineNanos, BooleanSupplier done);
}
