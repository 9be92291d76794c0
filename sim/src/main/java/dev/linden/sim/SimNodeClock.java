package dev.linden.sim;

import dev.linden.kvnode.node.Stage;
import java.util.LinkedHashMap;
import java.util.function.UnaryOperator;

/**
 * A simulated node's own clock (an offset, a drift, jumps) and the timers armed by it, on the shared
 * loop: {@code nodeNanos = nodeAnchor + (real - realAnchor) * (1 + driftPpm / 1e6)}. A jump or a change
 * of rate moves every pending timer accordingly.
 */
final class SimNodeClock {
    private final SimLoop loop;
    private final int nodeId;
    private long realAnchorNanos;
    private long nodeAnchorNanos;
    private long driftPpm;
    private long nextTimerId;
    private final LinkedHashMap<Long, Timer> timers = new LinkedHashMap<>();

    private static final class Timer {
        final long nodeDeadlineNanos;
        final Runnable task;
        SimLoop.Handle handle;

        Timer(long nodeDeadlineNanos, Runnable task) {
            this.nodeDeadlineNanos = nodeDeadlineNanos;
            this.task = task;
        }
    }

    SimNodeClock(SimLoop loop, int nodeId, long nodeAnchorNanos, long driftPpm) {
        this.loop = loop;
        this.nodeId = nodeId;
        this.nodeAnchorNanos = nodeAnchorNanos;
        this.driftPpm = driftPpm;
    }

    long nowNanos() {
        long real = loop.nowNanos() - realAnchorNanos;
        return nodeAnchorNanos + real + real / 1_000_000 * driftPpm;
    }

    private long realDelayFor(long nodeDelayNanos) {
        if (nodeDelayNanos <= 0) {
            return 0;
        }
        return (long) (nodeDelayNanos / (1.0 + driftPpm / 1e6));
    }

    /** The clock jumps and/or changes rate; timers pending by this clock move accordingly. */
    void adjust(long jumpMillis, long newDriftPpm) {
        long now = nowNanos();
        realAnchorNanos = loop.nowNanos();
        nodeAnchorNanos = now + jumpMillis * 1_000_000;
        driftPpm = Math.max(-500_000, Math.min(500_000, newDriftPpm));
        for (Timer t : timers.values()) {
            t.handle.cancel();
            arm(t);
        }
    }

    private void arm(Timer t) {
        long realDelay = realDelayFor(t.nodeDeadlineNanos - nowNanos());
        t.handle = loop.at(realDelay, SimLoop.TICK_OR_TIMER, nodeId, t.task);
    }

    /**
     * Runs {@code task} once, {@code delayMillis} from now by this clock; {@code guard} wraps the firing as
     * a task of the node's process (dropped if it died, deferred while it is paused).
     */
    Stage.Cancellable schedule(long delayMillis, Runnable task, UnaryOperator<Runnable> guard) {
        long timerId = nextTimerId++;
        Runnable fire = guard.apply(() -> {
            // Once only: a firing deferred by a pause and a re-arming by a clock fault during that pause
            // both arrive at resume, and the second must find the timer gone.
            if (timers.remove(timerId) == null) {
                return;
            }
            task.run();
        });
        Timer armed = new Timer(nowNanos() + delayMillis * 1_000_000, fire);
        timers.put(timerId, armed);
        arm(armed);
        return () -> {
            Timer removed = timers.remove(timerId);
            if (removed != null) {
                removed.handle.cancel();
            }
        };
    }

    /** A new process: the timers of the one before are forgotten (its tasks are dropped by incarnation). */
    void forgetTimers() {
        timers.clear();
    }

    /** The process died: its timers are cancelled. */
    void cancelTimers() {
        for (Timer t : timers.values()) {
            t.handle.cancel();
        }
        timers.clear();
    }
}
