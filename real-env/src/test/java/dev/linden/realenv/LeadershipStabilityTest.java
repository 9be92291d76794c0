package dev.linden.realenv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.checker.history.OpType;
import dev.linden.kvnode.events.NodeEvent;
import dev.linden.kvnode.events.Violation;
import dev.linden.workloads.HistoryOp;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LeadershipStabilityTest {
    private static final Set<Integer> THREE = Set.of(1, 2, 3);
    private static final long S = 1_000_000_000L;

    private static HistoryOp nemesis(long atNanos, OpType type, String f, Object value) {
        return new HistoryOp(0, atNanos, type, HistoryOp.NEMESIS, f, null, value, null, false);
    }

    private static HistoryOp partition(long atNanos, Map<String, List<Integer>> grudge) {
        return nemesis(atNanos, OpType.INFO, "start-partition", Map.of("grudge", grudge));
    }

    @Test
    void theMajorityIsTheLargestSetConnectedBothWays() {
        assertEquals(Set.of(1, 3), LeadershipStability.majority(THREE, Map.of("1", List.of(2), "3", List.of(2))));
        assertEquals(Set.of(1, 2), LeadershipStability.majority(THREE, Map.of("3", List.of(1, 2))));
        assertEquals(
                2,
                LeadershipStability.majority(THREE, Map.of("1", List.of(2), "2", List.of(1)))
                        .size());
        assertNull(LeadershipStability.majority(THREE, Map.of("1", List.of(2, 3), "2", List.of(1, 3))));
    }

    @Test
    void onlyAPartitionAloneMakesAPeriodAndAnyOtherNemesisOperationEndsIt() {
        List<HistoryOp> h = List.of(
                nemesis(1 * S, OpType.INVOKE, "start-partition", null),
                partition(2 * S, Map.of("3", List.of(1, 2))),
                nemesis(12 * S, OpType.INVOKE, "stop-partition", null),
                nemesis(12 * S, OpType.INFO, "stop-partition", Map.of()),
                nemesis(13 * S, OpType.INFO, "kill", Map.of()),
                partition(14 * S, Map.of("3", List.of(1, 2))), // a node is down: not judged
                nemesis(20 * S, OpType.INFO, "start", Map.of()),
                partition(21 * S, Map.of("3", List.of(1, 2))));
        List<LeadershipStability.Period> p = LeadershipStability.periods(h, THREE, 30 * S);
        assertEquals(2, p.size(), p.toString());
        assertEquals(
                List.of(2 * S, 12 * S), List.of(p.get(0).startNanos(), p.get(0).endNanos()));
        assertEquals(
                List.of(21 * S, 30 * S), List.of(p.get(1).startNanos(), p.get(1).endNanos()));
        assertEquals(Set.of(1, 2), p.get(0).majority());
        // A clock fault's offsets outlive it: the nodes' times no longer match the history's, so judging stops.
        List<HistoryOp> clocked = List.of(
                partition(S, Map.of("3", List.of(1, 2))),
                nemesis(5 * S, OpType.INVOKE, "start-clock", null),
                nemesis(6 * S, OpType.INFO, "stop-clock", Map.of()),
                partition(7 * S, Map.of("3", List.of(1, 2))));
        assertEquals(
                List.of(new LeadershipStability.Period(S, 5 * S, Set.of(1, 2), Map.of("3", List.of(1, 2)))),
                LeadershipStability.periods(clocked, THREE, 9 * S));
        assertEquals(
                List.of(),
                LeadershipStability.periods(
                        List.of(partition(S, Map.of()), nemesis(2 * S, OpType.INFO, "replace-node", Map.of())),
                        THREE,
                        9 * S));
    }

    /** The majority's terms, made durable: {@code node, atMillis, term} triples. */
    private static Map<Integer, List<NodeEvent>> terms(long... triples) {
        Map<Integer, List<NodeEvent>> m = new HashMap<>();
        for (int i = 0; i < triples.length; i += 3) {
            int node = (int) triples[i];
            List<NodeEvent> l = m.computeIfAbsent(node, k -> new ArrayList<>());
            l.add(new NodeEvent.HardStateSaved(triples[i + 1], node, l.size() + 2, triples[i + 2], node));
        }
        return m;
    }

    @Test
    void aTermThatKeepsRisingWhileTheMajorityIsConnectedIsAViolation() {
        List<LeadershipStability.Period> p =
                LeadershipStability.periods(List.of(partition(0, Map.of("3", List.of(1, 2)))), THREE, 10 * S);
        long t0 = 1_000_000;
        // Settling: one election in the first 3 s is fine; then 4 more rises in 7 s is more than 2.
        Map<Integer, List<NodeEvent>> inflating =
                terms(1, t0 + 1_000, 5, 1, t0 + 4_000, 6, 2, t0 + 5_000, 7, 1, t0 + 6_500, 8, 2, t0 + 8_000, 9);
        Map<String, Object> facts = new HashMap<>();
        List<Violation> v = LeadershipStability.judge(p, inflating, t0, facts);
        assertEquals(1, v.size(), v.toString());
        assertTrue(v.get(0).detail().contains("term rose 4 times"), v.get(0).describe());
        assertEquals("1 of 1", facts.get("stable-periods-judged"));
        // Node 3, outside the majority, may raise its own term as it likes; the majority elects once more.
        Map<Integer, List<NodeEvent>> stable =
                terms(1, t0 + 1_000, 5, 3, t0 + 4_000, 6, 3, t0 + 5_000, 7, 3, t0 + 6_500, 8, 2, t0 + 8_000, 6);
        assertEquals(List.of(), LeadershipStability.judge(p, stable, t0, facts));
    }
}
