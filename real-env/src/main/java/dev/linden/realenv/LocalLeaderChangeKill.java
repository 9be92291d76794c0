package dev.linden.realenv;

import dev.linden.checker.history.OpType;
import dev.linden.kvnode.net.Wire;
import dev.linden.nemesis.FaultOps;
import dev.linden.nemesis.Targets;
import dev.linden.workloads.Completion;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * The kill at a leader change ({@code Fault.CrashPoint.LEADER_CHANGE}) on node processes: the leader is killed at
 * once, then the nodes' statuses are read every {@link #POLL_MILLIS} ms until one says it leads a later term, and
 * the targets (resolved with that one as {@code leader}) are killed at once: within a poll and a SIGKILL of the
 * win. Runs on a thread of its own; completes through the cluster's scheduler, after {@link #WAIT_MILLIS} at most.
 */
final class LocalLeaderChangeKill {
    static final long POLL_MILLIS = 10;
    /** How long the next leader is waited for: several election timeouts of a node's (1-2 s). */
    static final long WAIT_MILLIS = 10_000;

    private final LocalTestCluster c;
    private final LocalNodeFaults nodes;
    private volatile boolean healed;

    LocalLeaderChangeKill(LocalTestCluster c, LocalNodeFaults nodes) {
        this.c = c;
        this.nodes = nodes;
    }

    /** Kills the leader, then the targets right after the next leader won; {@code done} hears of both. */
    void arm(String targets, Consumer<Completion> done) {
        healed = false;
        SplittableRandom random = c.random.split(); // the thread's own: the nemesis's stays on the nemesis's side
        int leader = c.leader(true);
        long term = maxTerm(c.status(true));
        Object first = leader > 0 ? nodes.kill(List.of(leader)) : FaultOps.noEffect("no leader to kill");
        Thread t = new Thread(() -> watch(targets, term, first, random, done), "linden-leader-change-kill");
        t.setDaemon(true);
        t.start();
    }

    /** The final heal: an armed kill kills nothing more, and gives up at its next poll, saying so. */
    synchronized void disarm() {
        healed = true;
    }

    /** Kills {@code targets} unless the heal came first (then null). */
    private synchronized Object killUnlessHealed(List<Integer> targets) {
        return healed ? null : nodes.kill(targets);
    }

    private void watch(String targets, long term, Object first, SplittableRandom random, Consumer<Completion> done) {
        long t0 = System.nanoTime();
        long deadline = t0 + WAIT_MILLIS * 1_000_000L;
        Object evidence = null;
        while (evidence == null) {
            if (healed || System.nanoTime() > deadline) {
                evidence = FaultOps.noEffect(
                        healed
                                ? "healed before the next leader was elected"
                                : "no leader was elected within " + WAIT_MILLIS + " ms of the first kill",
                        "first",
                        first);
                break;
            }
            for (Wire.StatusResponse s : c.status(true).values()) {
                if (s.role().equals("LEADER") && s.term() > term) {
                    List<Integer> hit = Targets.resolve(targets, c.nodes(), s.nodeId(), random);
                    Object second = killUnlessHealed(hit);
                    if (second == null) {
                        break; // healed meanwhile: said at the top of the loop
                    }
                    evidence = FaultOps.effect(
                            "killed the leader, then " + targets + " right after the next leader won",
                            "first",
                            first,
                            "new-leader",
                            s.nodeId(),
                            "term",
                            s.term(),
                            "ms-after-arming",
                            (System.nanoTime() - t0) / 1_000_000,
                            "second",
                            second);
                    break;
                }
            }
            if (evidence == null) {
                sleep();
            }
        }
        Object result = evidence;
        c.scheduler.schedule(0, () -> done.accept(new Completion(OpType.INFO, result, null)));
    }

    private static long maxTerm(Map<Integer, Wire.StatusResponse> status) {
        long t = 0;
        for (Wire.StatusResponse s : status.values()) {
            t = Math.max(t, s.term());
        }
        return t;
    }

    private static void sleep() {
        try {
            Thread.sleep(POLL_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
