package dev.linden.realenv;

import dev.linden.kvnode.client.KvClient;
import dev.linden.kvnode.net.Wire;
import dev.linden.kvnode.raft.MembershipChange;
import dev.linden.nemesis.FaultOps;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code rogue-operator} on node processes: a client holding only an ordinary client certificate of the
 * cluster asks, through a KvClient as {@code linden cluster} does, for the target's removal and for leadership
 * to go to it. Both must be refused as not allowed. One carried out is a violation of the run (the cluster
 * check fails): any client could then reshape the cluster.
 */
final class RogueOperator {
    private static final long WAIT_MILLIS = 5_000;

    private final HostileAttacks h;

    RogueOperator(HostileAttacks h) {
        this.h = h;
    }

    Object ask(int target) {
        Map<String, Object> answers = new LinkedHashMap<>();
        boolean removed;
        boolean transferred;
        KvClient kv = new KvClient(
                h.c.clientEndpoints(), new KvClient.Options(2_000, WAIT_MILLIS, 2), null, h.clientSecurity());
        try {
            int leader = h.c.leader(true);
            Wire.MembershipResponse m = kv.changeMembership(leader, MembershipChange.remove(target), WAIT_MILLIS)
                    .get(WAIT_MILLIS + 1_000, TimeUnit.MILLISECONDS);
            answers.put("remove-" + target, m.outcome() + ": " + m.message());
            removed = m.outcome() == Wire.MembershipResponse.Outcome.COMMITTED;
            Wire.TransferResponse t =
                    kv.transferLeadership(leader, target, WAIT_MILLIS).get(WAIT_MILLIS + 1_000, TimeUnit.MILLISECONDS);
            answers.put("transfer-to-" + target, (t.ok() ? "done: " : "refused: ") + t.message());
            transferred = t.ok() && leader != target;
        } catch (Exception e) {
            return FaultOps.noEffect("no answer: " + e, "answers", answers);
        } finally {
            kv.close();
        }
        if (removed || transferred) {
            String what = removed ? "node " + target + " removed" : "leadership moved to node " + target;
            h.c.violation("an ordinary client's request was carried out: " + what + " (" + answers + ")");
            return FaultOps.effect("an ordinary client reshaped the cluster", "answers", answers);
        }
        boolean refused =
                answers.values().stream().allMatch(a -> String.valueOf(a).contains("not allowed"));
        return refused
                ? FaultOps.effect("refused: an ordinary client may not administer", "answers", answers)
                : FaultOps.noEffect("not every request reached a node that could judge it", "answers", answers);
    }
}
