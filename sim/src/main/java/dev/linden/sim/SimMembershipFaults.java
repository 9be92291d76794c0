package dev.linden.sim;

import dev.linden.checker.history.OpType;
import dev.linden.kvnode.raft.Membership;
import dev.linden.kvnode.raft.MembershipChange;
import dev.linden.nemesis.FaultOps;
import dev.linden.workloads.Completion;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * Membership changes during load, as an operator replaces a machine: a fresh node joins (empty, as a
 * learner, promoted once caught up) and a voter leaves, the leader one time in three (it hands leadership
 * over first). Both changes are asked of the leader at once, so a core that let two changes be in flight
 * would have them in flight. The node that left keeps running, outside the configuration, for a while
 * (it must not disrupt the cluster), then stops for good. The cluster keeps its size.
 */
final class SimMembershipFaults {
    private static final long MS = 1_000_000L;
    /** How long both changes are given to commit before the fault reports what it saw. */
    private static final long WAIT_NANOS = 20_000 * MS;

    private static final long RETRY_NANOS = 200 * MS;
    /** How long a removed node keeps running outside the configuration before it stops for good. */
    private static final long LINGER_NANOS = 3_000 * MS;

    private final Simulation sim;
    private final SplittableRandom random;

    SimMembershipFaults(Simulation sim, SplittableRandom random) {
        this.sim = sim;
        this.random = random;
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
        boolean[] finished = {false};
        CompletableFuture<?>[] asked = new CompletableFuture<?>[changes.size()];
        int[] askedOf = new int[changes.size()];
        Runnable[] attempt = new Runnable[1];
        attempt[0] = () -> {
            if (finished[0]) {
                return;
            }
            Membership committed = sim.committedMembership();
            boolean allIn = changes.stream().allMatch(c -> c.satisfiedBy(committed));
            long elapsed = sim.loop.nowNanos() - startedAt;
            if (allIn || elapsed >= WAIT_NANOS) {
                finished[0] = true;
                Object result = FaultOps.effect(
                        allIn
                                ? "node " + victim + " replaced by node " + added
                                : "configuration changes not committed within " + WAIT_NANOS / MS + " ms",
                        "added",
                        added,
                        "removed",
                        victim,
                        "leader-removed",
                        victim == leader,
                        "ms",
                        elapsed / MS,
                        "configuration",
                        committed.toString());
                sim.note("membership: " + result);
                if (!committed.contains(victim)) {
                    sim.loop.at(LINGER_NANOS, SimLoop.NEMESIS, 0, () -> sim.removeForGood(victim));
                }
                if (committed.wasRemoved(added)) {
                    // Its add ended (it did not answer in time) and it was taken out again: it stops too.
                    sim.loop.at(LINGER_NANOS, SimLoop.NEMESIS, 0, () -> sim.removeForGood(added));
                }
                done.accept(new Completion(OpType.INFO, result, null));
                return;
            }
            int l = sim.leader();
            if (l > 0) {
                for (int i = 0; i < changes.size(); i++) {
                    // One request per change at a time; one that ended without the change (NOT_LEADER after a
                    // hand-over, a time-out) is asked again of whoever leads now.
                    if (!changes.get(i).satisfiedBy(committed)
                            && (asked[i] == null || asked[i].isDone() || askedOf[i] != l)) {
                        asked[i] = sim.node(l).raft.changeMembership(changes.get(i)); // (a paused node never answers)
                        askedOf[i] = l;
                        if (l == victim && changes.get(i).kind() == MembershipChange.Kind.REMOVE) {
                            sim.transfersAsked++; // the leader asked to leave hands over: a deliberate election
                        }
                    }
                }
            }
            sim.loop.at(RETRY_NANOS, SimLoop.NEMESIS, 0, attempt[0]);
        };
        sim.loop.at(0, SimLoop.NEMESIS, 0, attempt[0]);
    }
}
