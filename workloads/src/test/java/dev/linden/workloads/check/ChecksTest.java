package dev.linden.workloads.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.checker.history.OpType;
import dev.linden.workloads.HistoryOp;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The composable checks on small hand-written histories, each with a known fate. */
class ChecksTest {
    private final List<HistoryOp> h = new ArrayList<>();

    private void op(long ms, OpType type, int process, String f, String key, Object value, boolean fin) {
        h.add(new HistoryOp(h.size(), ms * 1_000_000, type, process, f, key, value, null, fin));
    }

    private void call(long from, long to, int p, String f, String key, Object in, OpType outcome, Object out) {
        op(from, OpType.INVOKE, p, f, key, in, false);
        op(to, outcome, p, f, key, outcome == OpType.OK ? out : in, false);
    }

    private static TreeSet<Long> set(long... xs) {
        TreeSet<Long> s = new TreeSet<>();
        for (long x : xs) {
            s.add(x);
        }
        return s;
    }

    @Test
    void setFullFindsLostStaleNeverReadAndUnexpected() {
        call(0, 1, 0, "add", null, 1L, OpType.OK, 1L);
        call(0, 1, 1, "add", null, 2L, OpType.OK, 2L);
        call(2, 3, 2, "add", null, 3L, OpType.INFO, null); // unknown, never seen: never-read
        call(5, 6, 0, "read", null, null, OpType.OK, set(1)); // 2 missing after its ack: stale for now
        call(7, 8, 1, "read", null, null, OpType.OK, set(1, 2)); // 2 appears: it was stale
        call(9, 10, 0, "read", null, null, OpType.OK, set(2, 99)); // 1 gone for good: lost; 99: unexpected
        CheckOutcome o = new SetFullCheck(true).check(h);
        assertEquals(Validity.FALSE, o.valid());
        assertEquals(1L, o.details().get("lost-count"));
        assertEquals(List.of(1L), o.details().get("lost"));
        assertEquals(1L, o.details().get("stale-count"));
        assertEquals(1L, o.details().get("never-read-count"));
        assertEquals(List.of(99L), o.details().get("unexpected"));
    }

    @Test
    void setFullPassesAHealthySet() {
        call(0, 1, 0, "add", null, 1L, OpType.OK, 1L);
        call(0, 2, 1, "add", null, 2L, OpType.INFO, null); // unknown, later seen: stable
        call(3, 4, 0, "read", null, null, OpType.OK, set(1, 2));
        CheckOutcome o = new SetFullCheck(true).check(h);
        assertEquals(Validity.TRUE, o.valid(), o.details().toString());
        assertEquals(2L, o.details().get("stable-count"));
    }

    @Test
    void listAppendReportsALostAppendAndTheLinearizabilityViolation() {
        call(0, 1, 0, "append", "k", 1L, OpType.OK, 1L);
        call(2, 3, 1, "append", "k", 2L, OpType.OK, 2L);
        op(5, OpType.INVOKE, 0, "read", "k", null, true);
        op(6, OpType.OK, 0, "read", "k", List.of(1L), true);
        CheckOutcome o = new ListAppendCheck(Check.Options.defaults()).check(h);
        assertEquals(Validity.FALSE, o.valid());
        assertEquals(1L, o.details().get("lost-count"));
        Map<?, ?> lin = (Map<?, ?>) o.details().get("linearizable");
        assertEquals(false, lin.get("valid"));
        Map<?, ?> failure = (Map<?, ?>) ((List<?>) lin.get("failures")).get(0);
        assertTrue(String.valueOf(failure.get("explanation")).contains("read of key k"), failure.toString());
    }

    @Test
    void linearizableNamesTheStaleReadOfARegister() {
        call(0, 1, 0, "write", null, 1L, OpType.OK, 1L);
        call(2, 3, 0, "write", null, 2L, OpType.OK, 2L);
        call(4, 5, 1, "read", null, null, OpType.OK, 1L);
        CheckOutcome o = new LinearizableCheck("cas-register", Check.Options.defaults()).check(h);
        assertEquals(Validity.FALSE, o.valid());
        Map<?, ?> failure = (Map<?, ?>) ((List<?>) o.details().get("failures")).get(0);
        assertTrue(String.valueOf(failure.get("explanation")).contains("returned 1"), failure.toString());
        assertTrue(String.valueOf(failure.get("op")).contains("read"), failure.toString());
    }

    @Test
    void statsIsInvalidWhenAFunctionNeverSucceeded() {
        call(0, 1, 0, "write", "k", 1L, OpType.OK, 1L);
        call(0, 1, 1, "cas", "k", List.of(5L, 6L), OpType.FAIL, null);
        CheckOutcome o = new StatsCheck().check(h);
        assertEquals(Validity.FALSE, o.valid());
        assertEquals(List.of("cas"), o.details().get("never-ok"));
    }

    @Test
    void faultsThatDidNothingMakeTheRunUnknownOnlyIfANemesisWasConfigured() {
        op(0, OpType.INVOKE, HistoryOp.NEMESIS, "start-partition", null, Map.of("shape", "halves"), false);
        op(0, OpType.INFO, HistoryOp.NEMESIS, "start-partition", null, Map.of("no-effect", "cuts no link"), false);
        assertEquals(Validity.UNKNOWN, new FaultEvidenceCheck(true).check(h).valid());
        assertEquals(Validity.TRUE, new FaultEvidenceCheck(false).check(h).valid());
        op(1, OpType.INVOKE, HistoryOp.NEMESIS, "kill", null, Map.of("targets", "one"), false);
        op(1, OpType.INFO, HistoryOp.NEMESIS, "kill", null, Map.of("effect", "killed", "nodes", List.of(2)), false);
        CheckOutcome o = new FaultEvidenceCheck(true).check(h);
        assertEquals(Validity.TRUE, o.valid());
        assertEquals(1L, o.details().get("effective"));
        assertEquals(1, ((List<?>) o.details().get("without-effect")).size());
    }

    @Test
    void recoveryNeedsEveryFinalReadToSucceedOnce() {
        op(0, OpType.INVOKE, 0, "read", "a", null, true);
        op(1, OpType.INFO, 0, "read", "a", null, true);
        op(2, OpType.INVOKE, 5, "read", "a", null, true);
        op(3, OpType.OK, 5, "read", "a", 3L, true);
        op(2, OpType.INVOKE, 1, "read", "b", null, true);
        op(3, OpType.FAIL, 1, "read", "b", null, true);
        CheckOutcome o = new RecoveryCheck().check(h);
        assertEquals(Validity.FALSE, o.valid());
        assertEquals(List.of("read b"), o.details().get("never-succeeded"));
        assertEquals(Validity.UNKNOWN, new RecoveryCheck().check(List.of()).valid());
    }

    @Test
    void composeTakesTheWorstValidity() {
        Check ok = new Check() {
            public String name() {
                return "a";
            }

            public CheckOutcome check(List<HistoryOp> x) {
                return new CheckOutcome("a", Validity.TRUE, Map.of());
            }
        };
        Check unknown = new Check() {
            public String name() {
                return "b";
            }

            public CheckOutcome check(List<HistoryOp> x) {
                return new CheckOutcome("b", Validity.UNKNOWN, Map.of());
            }
        };
        assertEquals(
                Validity.UNKNOWN, Checks.compose(List.of(ok, unknown)).check(h).valid());
        assertEquals(Validity.FALSE, Validity.UNKNOWN.and(Validity.FALSE));
        assertEquals(2, Validity.UNKNOWN.exitCode());
    }
}
