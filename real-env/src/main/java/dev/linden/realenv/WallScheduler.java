package dev.linden.realenv;

import dev.linden.harness.Scheduler;
import java.util.PriorityQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * The runner's scheduler against real processes: the wall clock, and one thread of control, the one
 * that calls {@link #runUntil}. Tasks scheduled from any thread (Netty's, for client completions) are
 * queued and run there, in time order, so the runner needs no lock. Between tasks {@code done} is
 * re-evaluated at least every {@link #POLL_MILLIS} ms, as it may watch the cluster.
 */
final class WallScheduler implements Scheduler {
    static final long POLL_MILLIS = 20;
    /** Bound on queued tasks: more means the runner is not keeping up, a harness error. */
    static final int MAX_QUEUED_TASKS = 1_000_000;

    private record Task(long atNanos, long seq, Runnable run) {}

    private final long startNanos = System.nanoTime();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final PriorityQueue<Task> queue = new PriorityQueue<>(
            (a, b) -> a.atNanos != b.atNanos ? Long.compare(a.atNanos, b.atNanos) : Long.compare(a.seq, b.seq));
    private long seq;

    @Override
    public long nowNanos() {
        return System.nanoTime() - startNanos;
    }

    @Override
    public void schedule(long delayNanos, Runnable task) {
        lock.lock();
        try {
            if (queue.size() >= MAX_QUEUED_TASKS) {
                throw new IllegalStateException("more than " + MAX_QUEUED_TASKS + " tasks queued for the runner");
            }
            queue.add(new Task(nowNanos() + Math.max(0, delayNanos), seq++, task));
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean runUntil(long deadlineNanos, BooleanSupplier done) {
        while (true) {
            if (done.getAsBoolean()) {
                return true;
            }
            long now = nowNanos();
            if (now >= deadlineNanos) {
                return done.getAsBoolean();
            }
            Task next = null;
            lock.lock();
            try {
                Task head = queue.peek();
                if (head != null && head.atNanos <= now) {
                    next = queue.poll();
                } else {
                    long wait = Math.min(deadlineNanos, head == null ? Long.MAX_VALUE : head.atNanos) - now;
                    changed.await(Math.min(wait, TimeUnit.MILLISECONDS.toNanos(POLL_MILLIS)), TimeUnit.NANOSECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while running the test", e);
            } finally {
                lock.unlock();
            }
            if (next != null) {
                next.run.run();
            }
        }
    }
}
