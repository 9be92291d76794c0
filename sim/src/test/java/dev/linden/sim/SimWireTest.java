package dev.linden.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.harness.TestResult;
import dev.linden.harness.TestSpec;
import org.junit.jupiter.api.Test;

/**
 * The simulated wire carries the production codec's bytes: a frame damaged on the way is refused by the
 * production decoders (peer port, client port, client), never taken for another message.
 */
class SimWireTest {
    @Test
    void framesCorruptedOnTheWireAreRefusedByTheStrictDecoding() {
        Simulation[] built = new Simulation[1];
        TestResult r = TestSpec.builder()
                .cluster("sim", (seed, nodes) -> {
                    Simulation s = new Simulation(seed, nodes, SimOptions.defaults());
                    s.network().corruptRate = 0.02;
                    built[0] = s;
                    return s;
                })
                .phaseWallLimitMillis(300_000)
                .nodes(3)
                .workload("kv")
                .nemesis("partition,kill")
                .timeLimitSeconds(10)
                .seed(7)
                .build()
                .run();
        assertEquals(0, r.exitCode(), r.summary());
        SimNetwork net = built[0].network();
        assertTrue(net.framesCorrupted > 100, "frames corrupted: " + net.framesCorrupted);
        assertTrue(net.framesRefused > 0, "no damaged frame was refused");
        // Only damaged frames are refused (a node down drops what reaches it without reading it).
        assertTrue(
                net.framesRefused <= net.corruptFramesDelivered,
                net.framesRefused + " frames refused, " + net.corruptFramesDelivered + " damaged ones delivered");
    }
}
