package dev.linden.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.harness.TestResult;
import dev.linden.workloads.HistoryOp;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code rogue-operator} in the simulator: an ordinary client's membership change and leadership transfer reach
 * the nodes over the client port and are refused as not allowed, while the simulation's own operator (an admin)
 * still changes membership under {@code replace-node}.
 */
class RogueOperatorSimTest {
    @Test
    void anOrdinaryClientMayNotAdministerButTheOperatorMay() {
        int refused = 0;
        for (long seed = 1; seed <= 3; seed++) {
            TestResult r = Simulation.test()
                    .nodes(3)
                    .nemesis("rogue-operator,replace-node")
                    .timeLimitSeconds(12)
                    .seed(seed)
                    .build()
                    .run();
            assertEquals(0, r.exitCode(), r.summary());
            List<String> answers = r.history().stream()
                    .filter(HistoryOp::nemesis)
                    .filter(o -> o.f().equals("rogue-operator"))
                    .map(o -> String.valueOf(o.value()))
                    .filter(v -> v.contains("effect"))
                    .toList();
            for (String a : answers) {
                assertTrue(!a.contains("reshaped"), a);
                if (a.contains("refused: an ordinary client may not administer")) {
                    refused++;
                }
            }
        }
        assertTrue(refused > 0, "some rogue request reached a node and was refused");
    }
}
