package dev.linden.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.harness.TestResult;
import dev.linden.workloads.HistoryOp;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Faults aimed by the cluster's state, with the evidence that they hit what they aimed at. */
class StateAwareFaultsTest {
    private static long count(TestResult r, String f, String evidence) {
        return r.history().stream()
                .filter(HistoryOp::nemesis)
                .filter(o -> o.f().equals(f))
                .filter(o -> o.value() instanceof Map<?, ?> m && m.containsKey(evidence))
                .count();
    }

    @Test
    void aNewLeaderIsCutOffWithAMinorityTheMomentItIsElected() {
        long fired = 0;
        for (long seed = 1; seed <= 6 && fired == 0; seed++) {
            TestResult r = Simulation.test()
                    .nodes(5)
                    .nemesis("partition")
                    .timeLimitSeconds(40)
                    .seed(seed)
                    .build()
                    .run();
            assertEquals(0, r.exitCode(), r.summary());
            fired += count(r, "stop-partition", "fired-at");
        }
        assertTrue(fired > 0, "no new-leader partition fired in 6 seeds of 40 s");
    }

    @Test
    void fsyncStallsSlowTheDisksTheyTarget() {
        TestResult r = Simulation.test()
                .nodes(3)
                .nemesis("fsync-stall")
                .timeLimitSeconds(15)
                .seed(3)
                .build()
                .run();
        assertEquals(0, r.exitCode(), r.summary());
        assertTrue(count(r, "stop-fsync-stall", "fsyncs-stalled") > 0, "no fsync was stalled");
    }

    @Test
    void leadershipTransfersUnderLoadHandOverAndLoseNothing() {
        long handedOver = 0;
        for (long seed = 1; seed <= 4; seed++) {
            TestResult r = Simulation.test()
                    .nodes(5)
                    .nemesis("transfer,kill")
                    .timeLimitSeconds(20)
                    .seed(seed)
                    .build()
                    .run();
            assertEquals(0, r.exitCode(), r.summary());
            handedOver += r.history().stream()
                    .filter(HistoryOp::nemesis)
                    .filter(o -> o.f().equals("transfer-leader"))
                    .filter(o -> o.value() instanceof Map<?, ?> m && "leadership handed over".equals(m.get("effect")))
                    .count();
        }
        assertTrue(handedOver > 0, "no transfer completed in 4 seeds");
    }

    @Test
    void sessionsExpireThroughTheLogUnderClockFaultsAndNoAppendRunsTwice() {
        long expired = 0;
        for (long seed = 1; seed <= 4; seed++) {
            // list-append: an append run twice shows as a duplicate element in the final reads.
            TestResult r = Simulation.test()
                    .nodes(3)
                    .workload("list-append")
                    .nemesis("clock,kill,pause")
                    .timeLimitSeconds(20)
                    .seed(seed)
                    .build()
                    .run();
            assertEquals(0, r.exitCode(), r.summary());
            expired += ((Number) ((Map<?, ?>) r.results().get("run")).get("sessions-expired")).longValue();
        }
        assertTrue(expired > 0, "no session expired in 4 seeds of 20 s with 2-6 s ttls and clock faults");
    }
}
