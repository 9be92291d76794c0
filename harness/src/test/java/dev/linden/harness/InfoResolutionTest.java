package dev.linden.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.checker.history.OpType;
import dev.linden.workloads.HistoryOp;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** :info completions the cluster decided become :ok with their invocation's value, or :fail saying why. */
class InfoResolutionTest {
    private static HistoryOp op(int i, OpType t, int p, Object v, String err) {
        return new HistoryOp(i, i, t, p, "write", "k1", v, err, false);
    }

    @Test
    void infoThatNeverHappenedBecomesFailAndTheRestStays() {
        List<HistoryOp> h = List.of(
                op(0, OpType.INVOKE, 0, 7L, null),
                op(1, OpType.INVOKE, 1, 8L, null),
                op(2, OpType.INFO, 0, 7L, "timeout"),
                op(3, OpType.INFO, 1, 8L, "timeout"),
                op(4, OpType.INVOKE, 0, 9L, null),
                op(5, OpType.INFO, 0, 9L, "timeout"));
        InfoResolution r = InfoResolution.apply(h, Map.of(2, OpType.OK, 3, OpType.FAIL));
        assertEquals(3, r.info());
        assertEquals(1, r.ok());
        assertEquals(1, r.failed());
        // It happened, but maybe after its timeout: it stays :info (an :ok at the timeout would claim too much).
        assertEquals(h.get(2), r.history().get(2));
        assertEquals(OpType.FAIL, r.history().get(3).type());
        assertTrue(r.history().get(3).error().startsWith(InfoResolution.FAILED_NOTE));
        assertEquals(h.get(5), r.history().get(5));
        assertEquals(2, r.asFact("x").get("resolved"));
        assertThrows(IllegalArgumentException.class, () -> InfoResolution.apply(h, Map.of(1, OpType.OK)));
    }
}
