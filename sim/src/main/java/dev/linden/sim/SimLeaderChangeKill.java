package dev.linden.sim;

import dev.linden.checker.history.OpType;
import dev.linden.nemesis.FaultOps;
import dev.linden.nemesis.Targets;
import dev.linden.workloads.Completion;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * The simulator's kill at a leader change ({@code Fault.CrashPoint.LEADER_CHANGE}): the leader dies at once, and
 * the targets, resolved with the next leader as {@code leader}, die in the event right after that leader is seen
 * to have won. Completes then, or after {@link #WAIT_NANOS} with no leader elected (the first kill stands).
 */
final class SimLeaderChangeKill {
    private static final long MS = 1_000_000L;
    /** How long the next leader is waited for: many election timeouts of the simulator's (150-300 ms). */
    static final long WAIT_NANOS = 2_000 * MS;

    private final Simulation sim;
    private final SplittableRandom random;
    private final SimNodeFaults nodes;
    /** The armed kill: its targets, the term a new leader must exceed, what the first kill did; null: none. */
    private Armed armed;

    private record Armed(String targets, long aboveTerm, Object first, long armedAtNanos, Consumer<Completion> done) {}

    SimLeaderChangeKill(Simulation sim, SplittableRandom random, SimNodeFaults nodes) {
        this.sim = sim;
        this.random = random;
        this.nodes = nodes;
    }

    /** Kills the leader now and arms the second kill; {@code done} hears of both once the second struck. */
    void arm(String targets, Consumer<Completion> done) {
        if (armed != null) {
            complete(done, FaultOps.noEffect("a kill at a leader change is armed already"));
            return;
        }
        int leader = sim.leader();
        long term = leader > 0 ? sim.node(leader).raft.term() : sim.maxTerm();
        Object first = leader > 0 ? nodes.kill(List.of(leader)) : FaultOps.noEffect("no leader to kill");
        Armed a = new Armed(targets, term, first, sim.loop.nowNanos(), done);
        armed = a;
        sim.note("leader-change kill armed: leader " + leader + " of term " + term + " -> " + first);
        sim.loop.at(WAIT_NANOS, SimLoop.NEMESIS, 0, () -> {
            if (armed == a) {
                armed = null;
                complete(
                        done,
                        FaultOps.noEffect(
                                "no leader was elected within " + WAIT_NANOS / MS + " ms of the first kill",
                                "first",
                                first));
            }
        });
    }

    /** A node became leader of {@code term}: an armed kill strikes its targets in the next event. */
    void leaderElected(int id, long term) {
        Armed a = armed;
        if (a == null || term <= a.aboveTerm()) {
            return;
        }
        armed = null;
        sim.loop.at(0, SimLoop.NEMESIS, 0, () -> {
            List<Integer> targets = Targets.resolve(a.targets(), sim.nodes(), id, random);
            Object second = nodes.kill(targets);
            long ms = (sim.loop.nowNanos() - a.armedAtNanos()) / MS;
            sim.note("leader-change kill fires: leader " + id + " of term " + term + ", " + ms + " ms after arming -> "
                    + second);
            complete(
                    a.done(),
                    FaultOps.effect(
                            "killed the leader, then " + a.targets() + " right after the next leader won",
                            "first",
                            a.first(),
                            "new-leader",
                            id,
                            "term",
                            term,
                            "ms-after-arming",
                            ms,
                            "second",
                            second));
        });
    }

    /** The final heal: an armed kill will not strike (its operation completes, saying so). */
    void disarm() {
        Armed a = armed;
        armed = null;
        if (a != null) {
            complete(a.done(), FaultOps.noEffect("healed before the next leader was elected", "first", a.first()));
        }
    }

    private void complete(Consumer<Completion> done, Object evidence) {
        sim.loop.at(0, SimLoop.NEMESIS, 0, () -> done.accept(new Completion(OpType.INFO, evidence, null)));
    }
}
