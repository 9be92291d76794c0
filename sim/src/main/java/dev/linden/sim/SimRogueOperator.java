package dev.linden.sim;

import dev.linden.checker.history.OpType;
import dev.linden.kvnode.client.OperatorCore;
import dev.linden.kvnode.net.Wire;
import dev.linden.kvnode.raft.MembershipChange;
import dev.linden.nemesis.FaultOps;
import dev.linden.workloads.Completion;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * {@code rogue-operator} in the simulator: an ordinary client asks for the target's removal and for leadership
 * to go to it, over the client port like any client (redirects followed, as {@code linden cluster} would). Both
 * must be refused as not allowed; one that is carried out is a violation of the run, since any client of the
 * cluster could then reshape it.
 */
final class SimRogueOperator {
    private static final long WAIT_NANOS = 5_000_000_000L;

    private final Simulation sim;
    private final SimOperator client;

    SimRogueOperator(Simulation sim, SimOperator client) {
        this.sim = sim;
        this.client = client;
    }

    void ask(int target, Consumer<Completion> done) {
        // A node that does not answer within a second is passed over for another, as linden cluster does.
        OperatorCore.Limits limits = new OperatorCore.Limits(WAIT_NANOS / 5, WAIT_NANOS, 4);
        Map<String, Object> answers = new LinkedHashMap<>();
        client.changeMembership(MembershipChange.remove(target), sim.leader(), limits, m -> {
            answers.put("remove-" + target, m.outcome() + ": " + m.message());
            boolean removed = m.outcome() == Wire.MembershipResponse.Outcome.COMMITTED;
            client.transferLeadership(target, sim.leader(), limits, t -> {
                answers.put("transfer-to-" + target, (t.ok() ? "done: " : "refused: ") + t.message());
                sim.loop.at(
                        0,
                        SimLoop.NEMESIS,
                        0,
                        () -> done.accept(
                                new Completion(OpType.INFO, verdict(target, removed, t.ok(), answers), null)));
            });
        });
    }

    private Object verdict(int target, boolean removed, boolean transferred, Map<String, Object> answers) {
        if (removed || transferred) {
            sim.violation("an ordinary client's request was carried out: "
                    + (removed ? "node " + target + " removed" : "leadership moved to node " + target) + " (" + answers
                    + ")");
            return FaultOps.effect("an ordinary client reshaped the cluster", "answers", answers);
        }
        boolean refused =
                answers.values().stream().allMatch(a -> String.valueOf(a).contains("not allowed"));
        return refused
                ? FaultOps.effect("refused: an ordinary client may not administer", "answers", answers)
                : FaultOps.noEffect("not every request reached a node that could judge it", "answers", answers);
    }
}
