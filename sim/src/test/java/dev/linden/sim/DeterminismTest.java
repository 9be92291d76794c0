package dev.linden.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;

/** The same seed reproduces the whole run, faults included, bit for bit. */
class DeterminismTest {
    private static SimConfig config(long seed) {
        return SimConfig.defaults(seed).withDurationMillis(8_000);
    }

    @Test
    void sameSeedSameTraceHashAndResult() {
        for (long seed : new long[] {1, 7, 42}) {
            SimResult a = Simulation.run(config(seed));
            SimResult b = Simulation.run(config(seed));
            assertEquals(a.traceHash(), b.traceHash(), "seed " + seed);
            assertEquals(a.ops(), b.ops());
            assertEquals(a.events(), b.events());
            assertEquals(a.verdict(), b.verdict());
        }
    }

    @Test
    void sameSeedSameHashOnConcurrentThreads() throws Exception {
        SimResult[] results = new SimResult[2];
        Thread t1 = new Thread(() -> results[0] = Simulation.run(config(99)));
        Thread t2 = new Thread(() -> results[1] = Simulation.run(config(99)));
        t1.start();
        t2.start();
        t1.join();
        t2.join();
        assertEquals(results[0].traceHash(), results[1].traceHash());
    }

    @Test
    void differentSeedsDiffer() {
        assertNotEquals(Simulation.run(config(1)).traceHash(), Simulation.run(config(2)).traceHash());
    }
}
