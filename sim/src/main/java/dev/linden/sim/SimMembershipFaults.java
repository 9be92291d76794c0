package dev.linden.sim;

import dev.linden.checker.history.OpType;
import dev.linden.kvnode.client.OperatorCore;
import dev.linden.kvnode.net.Wire;
import dev.linden.kvnode.raft.Membership;
import dev.linden.kvnode.raft.MembershipChange;
import dev.linden.nemesis.FaultOps;
import dev.linden.workloads.Completion;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Membership changes during load, as an operator replaces a machine: a fresh node joins (empty, as a
 * learner, promoted once caught up) and a voter leaves, the leader one time in three (it hands leadership
 * over first). The changes are asked by the simulation's operator ({@link SimOperator}: the production
 * operator logic over the simulated client port), which follows redirects and asks again until each change
 * ends. Both changes are asked of the leader at once, so a core that let two changes be in flight
 * would have them in flight. The node that left keeps running, outside the configuration, for a while
 * (it must not disrupt the cluster), then stops for good. The cluster keeps its size.
 */
final class SimMembershipFaults {
    private static final long MS = 1_000_000L;
    /** How long both changes are given to commit before the fault reports what it saw. */
    private static final long WAIT_NANOS = 20_000 * MS;

    /** How long one node is given to answer before the operator asks another. */
    private static final long ATTEMPT_NANOS = 3_000 * MS;
    /** Most requests per change, redirects included (a busy leader is asked again every 200 ms). */
    private static final int MAX_ATTEMPTS = 128;
    /** How long a removed node keeps running outside the configuration before it stops for good. */
    private static final long LINGER_NANOS = 3_000 * MS;

    private final Simulation sim;
    private final SplittableRandom random;
    /** Asks the nodes over the simulated client port, following redirects. */
    private final SimOperator operator;

    SimMembershipFaults(Simulation sim, SplittableRandom random, SimOperator operator) {
        this.sim = sim;
        this.random = random;
        this.operator = operator;
    }

    void replace(String victimSpec, Consumer<Completion> done) {
        int leader = sim.leader();
        if (leader < 0 || !sim.canAddNode()) {
            sim.loop.at(
                    0,
                    SimLoop.NEMESIS,
                    0,
                    () -> done.accept(new Completion(
                            OpType.INFO,
                            FaultOps.noEffect(
                                    leader < 0 ? "no leader to change the configuration" : "no node id left to add"),
                            null)));
            return;
        }
        Membership now = sim.node(leader).raft.core().committedMembership();
        List<Integer> voters = new ArrayList<>();
        for (int v : now.voters()) {
            voters.add(v);
        }
        int victim = "leader".equals(victimSpec) ? leader : voters.get(random.nextInt(voters.size()));
        int added = sim.addNode();
        sim.transfersAsked++; // a removal of the leader is a deliberate election: a new stable period
        long startedAt = sim.loop.nowNanos();
        List<MembershipChange> changes = List.of(MembershipChange.addVoter(added, ""), MembershipChange.remove(victim));
        sim.note("membership: replacing node " + victim + (victim == leader ? " (the leader)" : "") + " by new node "
                + added);
        Wire.MembershipResponse[] answers = new Wire.MembershipResponse[changes.size()];
        int[] open = {changes.size()};
        OperatorCore.Limits limits = new OperatorCore.Limits(ATTEMPT_NANOS, WAIT_NANOS, MAX_ATTEMPTS);
        for (int i = 0; i < changes.size(); i++) {
            int k = i;
            // Both asked at once, of the leader the operator believes in; the operator follows redirects.
            operator.changeMembership(changes.get(i), leader, limits, answer -> {
                answers[k] = answer;
                if (--open[0] == 0) {
                    long elapsed = sim.loop.nowNanos() - startedAt;
                    sim.loop.at(0, SimLoop.NEMESIS, 0, () -> report(victim, leader, added, answers, elapsed, done));
                }
            });
        }
    }

    /** Both changes ended: the completion says what the cluster answered; nodes out of it stop for good. */
    private void report(
            int victim,
            int leader,
            int added,
            Wire.MembershipResponse[] answers,
            long elapsed,
            Consumer<Completion> done) {
        Membership committed = sim.committedMembership();
        String notOk = null;
        List<String> said = new ArrayList<>();
        for (Wire.MembershipResponse a : answers) {
            said.add(a.outcome() + ": " + a.message());
            if (!a.ok() && notOk == null) {
                notOk = a.message();
            }
        }
        Object result = FaultOps.effect(
                notOk == null
                        ? "node " + victim + " replaced by node " + added
                        : "configuration changes not committed within " + WAIT_NANOS / MS + " ms: " + notOk,
                "added",
                added,
                "removed",
                victim,
                "leader-removed",
                victim == leader,
                "ms",
                elapsed / MS,
                "configuration",
                committed.toString(),
                "answers",
                said);
        sim.note("membership: " + result);
        if (!committed.contains(victim)) {
            sim.loop.at(LINGER_NANOS, SimLoop.NEMESIS, 0, () -> sim.removeForGood(victim));
        }
        if (committed.wasRemoved(added)) {
            // Its add ended (it did not answer in time) and it was taken out again: it stops too.
            sim.loop.at(LINGER_NANOS, SimLoop.NEMESIS, 0, () -> sim.removeForGood(added));
        }
        done.accept(new Completion(OpType.INFO, result, null));
    }
}
