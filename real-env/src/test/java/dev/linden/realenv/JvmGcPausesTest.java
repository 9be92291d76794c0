package dev.linden.realenv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class JvmGcPausesTest {
    @Test
    void countsThisJvmsCollectionsThatEndedInTheWindow() throws Exception {
        JvmGcPauses pauses = JvmGcPauses.start();
        long before = System.currentTimeMillis();
        System.gc();
        String seen = "";
        for (int i = 0; i < 100 && !seen.matches("gc pauses n=[1-9].*"); i++) {
            Thread.sleep(50); // notifications arrive on the JVM's own thread
            seen = pauses.summary(before - 1_000, System.currentTimeMillis() + 1_000);
        }
        assertTrue(seen.matches("gc pauses n=[1-9]\\d* max=\\d+\\.\\d{3} total=\\d+\\.\\d{3} ms"), seen);
        assertEquals("gc pauses n=0 max=0.000 total=0.000 ms", pauses.summary(0, before - 60_000));
    }
}
