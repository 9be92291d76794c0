package dev.linden.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.linden.harness.TestResult;
import org.junit.jupiter.api.Test;

/** Seeds that once failed, kept as fixed runs. */
class SimRegressionTest {
    /**
     * Found by the properties: an early leader crash made every client give up on its session's first
     * write, so its next writes acknowledged seqs the cluster never saw; the cluster answered
     * SESSION_EXPIRED to each, forever, and no write succeeded after the faults healed. Clients now start
     * a new session on SESSION_EXPIRED.
     */
    @Test
    void clientsWhoseFirstWritesFailedStillGetWritesThrough() {
        TestResult r = Simulation.test().nodes(3).timeLimitSeconds(6).nemesis("kill,pause,clog,loss")
                .schedule(dev.linden.nemesis.FaultSchedule.Options.defaults(java.util.Set.of(), 3).withIntensity(2.98))
                .seed(-847767).build().run();
        assertEquals(0, r.exitCode(), r.summary());
    }
}
