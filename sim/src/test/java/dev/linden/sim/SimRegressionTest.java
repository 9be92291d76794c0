package dev.linden.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.linden.nemesis.FaultKind;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Seeds that once failed, kept as fixed runs. */
class SimRegressionTest {
    /**
     * Found by SimProperties: an early leader crash made every client give up on its session's first
     * write, so its next writes acknowledged seqs the cluster never saw; the cluster answered
     * SESSION_EXPIRED to each, forever, and no write succeeded after the faults healed. Clients now
     * start a new session on SESSION_EXPIRED.
     */
    @Test
    void clientsWhoseFirstWritesFailedStillGetWritesThrough() {
        SimResult r = Simulation.run(SimConfig.defaults(-847767).withDurationMillis(6_000)
                .withFaults(Set.of(FaultKind.CRASH, FaultKind.PAUSE, FaultKind.CLOG, FaultKind.LOSS))
                .withFaultIntensity(2.98));
        assertEquals(0, r.exitCode(), r.verdict() + " " + r.detail());
    }
}
