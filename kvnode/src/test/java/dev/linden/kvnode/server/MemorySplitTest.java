package dev.linden.kvnode.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The memory split: Netty's share never comes out of values' and the other way round. */
class MemorySplitTest {
    private static final long MIB = 1L << 20;

    @Test
    void countedApartNettysShareCostsValuesNothing() {
        MemorySplit s = MemorySplit.compute(1024 * MIB, 1024 * MIB, 256 * MIB, true);
        assertEquals(256 * MIB, s.nettyDirectBytes());
        assertEquals(1024 * MIB - MemorySplit.JDK_DIRECT_RESERVE_BYTES, s.valuesDirectBytes());
    }

    @Test
    void sharedValuesGetWhatIsLeftAfterNettysShare() {
        MemorySplit s = MemorySplit.compute(1024 * MIB, 1024 * MIB, 256 * MIB, false);
        assertEquals(256 * MIB, s.nettyDirectBytes());
        assertEquals(1024 * MIB - 256 * MIB - MemorySplit.JDK_DIRECT_RESERVE_BYTES, s.valuesDirectBytes());
        // Netty's share is at most half the JVM's direct memory.
        assertEquals(
                64 * MIB,
                MemorySplit.compute(1024 * MIB, 128 * MIB, 256 * MIB, false).nettyDirectBytes());
    }

    @Test
    void aQuotaThatCannotFitIsRefusedWithWhatToDo() {
        MemorySplit s = MemorySplit.compute(256 * MIB, 256 * MIB, 128 * MIB, false);
        assertNull(s.quotaRefusal(64 * MIB));
        String why = s.quotaRefusal(256 * MIB);
        assertNotNull(why);
        assertTrue(why.contains("--quota-bytes"), why);
    }

    @Test
    void defaultsAndTheLogLine() {
        assertEquals(MemorySplit.MIN_NETTY_DIRECT_BYTES, MemorySplit.defaultNettyDirectBytes(100 * MIB));
        assertEquals(MemorySplit.MAX_NETTY_DIRECT_BYTES, MemorySplit.defaultNettyDirectBytes(64L << 30));
        String line = MemorySplit.ofThisJvm().logLine();
        assertTrue(line.matches("event=memory-split heap-mb=\\d+ netty-direct-mb=\\d+ values-direct-mb=\\d+ .*"), line);
    }
}
