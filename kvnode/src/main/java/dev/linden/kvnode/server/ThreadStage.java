package dev.linden.kvnode.server;

import dev.linden.kvnode.node.Stage;
import dev.linden.kvnode.stats.LatencyTimes;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A production pipeline stage: one dedicated thread running tasks in order. Timers are kept by a shared
 * timer thread that only posts the task back here, so the stage's own clock is the machine's.
 * A task that throws stops the node loudly ({@code onFatal}): a stage must never die silently.
 */
public final class ThreadStage implements Stage, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ThreadStage.class.getName());
    private final LinkedBlockingQueue<Queued> queue = new LinkedBlockingQueue<>();
    private final ScheduledExecutorService timers;
    private final Thread thread;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Consumer<Throwable> onFatal;
    /** How long tasks waited in the queue, and how long they ran: the stage's share of a request's latency. */
    private final LatencyTimes waited;

    private final LatencyTimes ran;

    /** A task and when it was queued. */
    private record Queued(Runnable task, long queuedNanos) {}

    public ThreadStage(String name, ScheduledExecutorService timers, Consumer<Throwable> onFatal) {
        this.timers = timers;
        this.onFatal = onFatal;
        this.waited = new LatencyTimes(name + "-wait");
        this.ran = new LatencyTimes(name + "-run");
        this.thread = new Thread(this::loop, name);
        this.thread.setDaemon(true);
        this.thread.start();
    }

    private void loop() {
        while (!closed.get()) {
            Queued q;
            try {
                q = queue.poll(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (q == null) {
                continue;
            }
            try {
                long start = System.nanoTime();
                q.task().run();
                long end = System.nanoTime();
                waited.record(start - q.queuedNanos());
                ran.record(end - start);
            } catch (Throwable t) {
                LOG.log(Level.SEVERE, "stage " + thread.getName() + " failed", t);
                onFatal.accept(t);
                return;
            }
        }
    }

    @Override
    public void execute(Runnable task) {
        if (!closed.get()) {
            queue.add(new Queued(task, System.nanoTime()));
        }
    }

    @Override
    public Cancellable schedule(long delayMillis, Runnable task) {
        var f = timers.schedule(() -> execute(task), delayMillis, TimeUnit.MILLISECONDS);
        return () -> f.cancel(false);
    }

    /** Its recorders of how long tasks waited and ran. */
    public List<LatencyTimes> latencyTimes() {
        return List.of(waited, ran);
    }

    /** Tasks waiting: inputs from the network are refused past a bound on this. */
    public int queued() {
        return queue.size();
    }

    @Override
    public void close() {
        closed.set(true);
        thread.interrupt();
    }

    /** A daemon thread named {@code name} (the node's timer and fsync threads). */
    static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** Sleeps, keeping an interrupt for the caller to see. */
    static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
