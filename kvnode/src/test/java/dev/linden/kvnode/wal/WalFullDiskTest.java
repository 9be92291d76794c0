package dev.linden.kvnode.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.linden.kvnode.node.LogStore;
import dev.linden.kvnode.raft.HardState;
import dev.linden.kvnode.raft.Ready;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The WAL on a real file system that fills up: a small tmpfs (as root; skipped otherwise). A full disk takes
 * part of the write that fills it and refuses the rest. The node stops; started again on the same disk it
 * must find every acknowledged entry and no lost data. (It once cut its fixed-size segment back to the failed
 * write's offset, which the next start took for lost log: the node then abstained from elections for good.)
 */
class WalFullDiskTest {
    @TempDir
    Path dir;

    @Test
    void aFullDiskIsATornWriteNeverLostData() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root to mount a tmpfs");
        assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", dir.toString()) == 0, "tmpfs mount");
        try {
            WalConfig config = new WalConfig(4L << 20, 1000); // larger than the disk: a sparse segment
            WalLogStore wal = WalFixture.open(dir, config);
            wal.load();
            wal.saveHardState(new HardState(1, 1));
            long acked = 0;
            AtomicBoolean failed = new AtomicBoolean();
            for (long i = 1; !failed.get() && i < 10_000; i++) {
                long index = i;
                wal.append(
                        new Ready.LogWrite(i, List.of(WalFixture.entry(1, index, "v".repeat(3_000)))),
                        () -> {},
                        e -> failed.set(true));
                acked = failed.get() ? acked : index;
            }
            wal.close();
            assertTrue(failed.get(), "the tmpfs filled up");
            List<String> events = new ArrayList<>();
            WalLogStore again = WalFixture.open(dir, config);
            again.setEventSink(events::add);
            LogStore.Recovered r = again.load();
            again.close();
            assertNull(r.lostData(), "a full disk is not lost data: " + events);
            assertFalse(events.stream().anyMatch(e -> e.contains("wal-data-loss")), events.toString());
            assertEquals(acked, r.entries().size(), "every acknowledged entry is back, the refused one is not");
        } finally {
            run("umount", "-l", dir.toString());
        }
    }

    private static int run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }
}
