package dev.linden.kvnode.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The file handle reserve's estimate: sampled, and conservative between samples. */
class FileHandleReserveTest {
    @Test
    void connectionsTakenBetweenSamplesCountUntilTheNextSample() {
        AtomicLong open = new AtomicLong(700);
        AtomicLong clock = new AtomicLong();
        FileHandleReserve r = new FileHandleReserve(256, () -> 1000, open::get, clock::get);
        int kept = 0;
        while (r.tryTake()) { // the open count is not read again within the sample period
            kept++;
            assertTrue(kept <= 1000, "unbounded");
        }
        assertEquals(1000 - 700 - 256 + 1, kept);
        assertEquals(1, r.refused.get());
        open.set(400); // connections closed meanwhile: seen at the next sample
        clock.addAndGet(FileHandleReserve.SAMPLE_EVERY_NANOS);
        assertTrue(r.tryTake());
        assertEquals(1000 - 400 - 1, r.freeFileHandles());
    }

    @Test
    void theProcessLimitIsReadOnUnix() {
        FileHandleReserve r = FileHandleReserve.ofProcess(256);
        assertTrue(r.tryTake());
        assertTrue(r.freeFileHandles() > 0);
        assertFalse(new FileHandleReserve(Long.MAX_VALUE / 2, () -> 1000, () -> 0, System::nanoTime).tryTake());
    }
}
