package dev.linden.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.checker.history.OpType;
import dev.linden.harness.TestResult;
import dev.linden.nemesis.Fault;
import dev.linden.workloads.HistoryOp;
import dev.linden.workloads.gen.Gen;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A kill at a leader change takes the leader, then the next leader the moment it has won; the run stays valid. */
class SimLeaderChangeKillTest {
    private static final long MS = 1_000_000L;

    @Test
    void theLeaderDiesThenTheNextOneRightAfterItsElection() {
        TestResult r = Simulation.test()
                .nodes(5)
                .timeLimitSeconds(8)
                .seed(4)
                .nemesisGenerator(Gen.phases(List.of(
                        Gen.sleep(2_000 * MS),
                        Gen.once(new Fault.Kill("leader", Fault.CrashPoint.LEADER_CHANGE, 0).op()),
                        Gen.sleep(1_000 * MS),
                        Gen.once(new Fault.Start().op()))))
                .build()
                .run();
        assertEquals(0, r.exitCode(), r.summary());
        HistoryOp kill = r.history().stream()
                .filter(o -> o.nemesis() && o.type() == OpType.INFO && o.f().equals("kill"))
                .findFirst()
                .orElseThrow();
        Map<?, ?> v = (Map<?, ?>) kill.value();
        assertTrue(v.get("effect") != null, v.toString());
        Map<?, ?> first = (Map<?, ?>) v.get("first");
        Map<?, ?> second = (Map<?, ?>) v.get("second");
        assertEquals(List.of(v.get("new-leader")), second.get("nodes"), v.toString());
        assertNotEquals(first.get("nodes"), second.get("nodes"), v.toString());
        assertTrue(((Number) v.get("ms-after-arming")).longValue() < 2_000, v.toString());
    }
}
