package dev.linden.kvnode.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.linden.kvnode.node.LogStore;
import dev.linden.kvnode.raft.Entry;
import dev.linden.kvnode.raft.HardState;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A torn tail is repaired at start by zeroing it. A full disk (or a crash) may stop that repair after any byte;
 * whatever it left must read again as a torn tail at the next start, never as damage followed by more data
 * (the node would refuse to start) or as lost log (it would stay out of elections).
 */
class WalTornTailRepairTest {
    private static final int ENTRIES = 20;

    @TempDir
    Path dir;

    @AfterEach
    void diskHasRoomAgain() {
        FailingVfs.writeBudgetBytes = -1;
    }

    @Test
    void aRepairCutShortAnywhereStillReadsAsATornTail() throws IOException {
        Random random = new Random(7);
        for (int budget = 0; budget <= 3_100; budget += 1 + random.nextInt(90)) {
            Path d = Files.createDirectories(dir.resolve("budget-" + budget));
            long validEnd = writeLogWithTornTail(d, random);
            FailingVfs.writeBudgetBytes = budget;
            try {
                new WalLogStore(new FailingVfs(new NioVfs(d, Runnable::run)), WalFixture.INLINE, config()).load();
            } catch (IOException e) {
                // the disk filled during the repair: the node exits, and starts again once there is room
            }
            FailingVfs.writeBudgetBytes = -1;
            List<String> events = new ArrayList<>();
            WalLogStore again = new WalLogStore(new NioVfs(d, Runnable::run), WalFixture.INLINE, config());
            again.setEventSink(events::add);
            LogStore.Recovered r = again.load();
            assertNull(r.lostData(), "budget " + budget + ": " + events);
            assertEquals(ENTRIES, r.entries().size(), "budget " + budget + ": every durable entry back");
            byte[] tail = Files.readAllBytes(d.resolve(SegmentFile.name(1)));
            for (long i = validEnd; i < validEnd + 3_000; i++) {
                assertEquals(0, tail[(int) i], "budget " + budget + ": the torn tail is zeroed once there is room");
            }
        }
    }

    private static WalConfig config() {
        return new WalConfig(1 << 20, 1000);
    }

    /** Writes the log, then a torn record after it (its start, then garbage); returns where the log ends. */
    private static long writeLogWithTornTail(Path d, Random random) throws IOException {
        WalLogStore wal = WalFixture.open(d, config());
        wal.load();
        wal.saveHardState(new HardState(1, 1));
        for (int i = 1; i <= ENTRIES; i++) {
            WalFixture.write(wal, i, WalFixture.entry(1, i, "value-" + i));
        }
        wal.close();
        Path segment = d.resolve(SegmentFile.name(1));
        long validEnd = SegmentFile.HEADER_BYTES;
        for (int i = 1; i <= ENTRIES; i++) {
            validEnd += WalRecord.size(WalFixture.entry(1, i, "value-" + i));
        }
        Entry torn = new Entry(1, ENTRIES + 1, Entry.Kind.COMMAND, new byte[3_000]);
        ByteBuffer record = ByteBuffer.allocate(WalRecord.size(torn));
        WalRecord.encode(torn, record);
        byte[] bytes = new byte[2_000 + 1_000];
        System.arraycopy(record.array(), 0, bytes, 0, 2_000);
        byte[] garbage = new byte[1_000];
        random.nextBytes(garbage);
        System.arraycopy(garbage, 0, bytes, 2_000, 1_000);
        WalFixture.overwrite(segment, validEnd, bytes);
        return validEnd;
    }
}
