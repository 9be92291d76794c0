package dev.linden.kvnode.wal;

import static dev.linden.kvnode.wal.WalFixture.entry;
import static dev.linden.kvnode.wal.WalFixture.flip;
import static dev.linden.kvnode.wal.WalFixture.overwrite;
import static dev.linden.kvnode.wal.WalFixture.segmentCount;
import static dev.linden.kvnode.wal.WalFixture.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.kvnode.node.LogStore;
import dev.linden.kvnode.raft.Entry;
import dev.linden.kvnode.raft.HardState;
import dev.linden.kvnode.raft.Ready;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The WAL's log: writes, rolling segments, and recovery from torn writes and damage (snapshots:
 * {@link WalSnapshotTest}).
 */
class WalLogStoreTest {
    @TempDir
    Path dir;

    private WalLogStore open(long segmentBytes) throws IOException {
        return WalFixture.open(dir, segmentBytes);
    }

    /** A WAL opened and loaded empty, with a hard state saved. */
    private static WalLogStore started(WalLogStore wal, HardState hs) throws IOException {
        wal.load();
        wal.saveHardState(hs);
        return wal;
    }

    /** Segment {@code seq}'s file. */
    private Path segment(long seq) {
        return dir.resolve(SegmentFile.name(seq));
    }

    @Test
    void entriesAndHardStateSurviveARestart() throws IOException {
        WalLogStore wal = open(1 << 20);
        assertEquals(0, wal.load().entries().size());
        wal.saveHardState(new HardState(3, 2));
        write(wal, 1, entry(1, 1, "a"), entry(1, 2, "b"));
        write(wal, 2, entry(3, 3, "c"));
        LogStore.Recovered r = open(1 << 20).load();
        assertEquals(new HardState(3, 2), r.hardState());
        assertEquals(List.of(entry(1, 1, "a"), entry(1, 2, "b"), entry(3, 3, "c")), r.entries());
    }

    @Test
    void aFollowerTruncationIsReplayedAsAnOverwrite() throws IOException {
        WalLogStore wal = started(open(1 << 20), new HardState(2, 0));
        write(wal, 1, entry(1, 1, "a"), entry(1, 2, "stale"), entry(1, 3, "stale"));
        write(wal, 2, entry(2, 2, "new"));
        assertEquals(
                List.of(entry(1, 1, "a"), entry(2, 2, "new")),
                open(1 << 20).load().entries());
    }

    @Test
    void segmentsRollAndReplayInOrder() throws IOException {
        WalLogStore wal = started(open(1024), new HardState(1, 1));
        List<Entry> expected = new ArrayList<>();
        for (int i = 1; i <= 200; i++) {
            Entry e = entry(1, i, "payload-" + i);
            expected.add(e);
            write(wal, i, e);
        }
        long segments = segmentCount(dir);
        assertTrue(segments > 3, "expected several segments, got " + segments);
        assertEquals(expected, open(1024).load().entries());
    }

    @Test
    void aTornTailIsTruncatedAndTheLogKeepsWorking() throws IOException {
        WalLogStore wal = started(open(1 << 20), new HardState(1, 1));
        write(wal, 1, entry(1, 1, "kept"));
        write(wal, 2, entry(1, 2, "torn-by-a-crash"));
        long end =
                SegmentFile.HEADER_BYTES + WalRecord.HEADER_BYTES * 2L + "kept".length() + "torn-by-a-crash".length();
        // The crash left the last record's last bytes unwritten; the size stays.
        overwrite(segment(1), end - 5, new byte[5]);
        WalLogStore reopened = open(1 << 20);
        LogStore.Recovered r = reopened.load();
        assertEquals(List.of(entry(1, 1, "kept")), r.entries());
        assertNull(r.lostData(), "a torn last write is not lost data");
        assertEquals(new HardState(1, 1), r.hardState());
        write(reopened, 1, entry(1, 2, "after"));
        assertEquals(
                List.of(entry(1, 1, "kept"), entry(1, 2, "after")),
                open(1 << 20).load().entries());
    }

    @Test
    void aFlippedBitInAnOldRecordRefusesToStartWithAClearMessage() throws IOException {
        WalLogStore wal = started(open(1 << 20), new HardState(1, 1));
        write(wal, 1, entry(1, 1, "old-record"));
        write(wal, 2, entry(1, 2, "newer"));
        flip(segment(1), SegmentFile.HEADER_BYTES + WalRecord.HEADER_BYTES + 2, 0x10); // inside the first payload
        IOException e = assertThrows(IOException.class, () -> open(1 << 20).load());
        assertTrue(
                e.getMessage().contains("WAL corrupted")
                        && e.getMessage().contains("checksum mismatch")
                        && e.getMessage().contains("offset " + SegmentFile.HEADER_BYTES),
                e.getMessage());
    }

    @Test
    void aCorruptLengthThatMimicsATornTailIsStillRefused() throws IOException {
        // Found by the simulator (seed 10439): a flipped bit in a length field made the record look as if
        // it ran past the end of the file, and recovery dropped it and every synced record after it.
        WalLogStore wal = started(open(1 << 20), new HardState(1, 1));
        write(wal, 1, entry(1, 1, "first"));
        write(wal, 2, entry(1, 2, "acknowledged-after-it"));
        // The second byte of the first record's length: now ~1 MB, past the end of the file.
        overwrite(segment(1), SegmentFile.HEADER_BYTES + 1, new byte[] {0x10});
        IOException e = assertThrows(IOException.class, () -> open(1 << 20).load());
        assertTrue(e.getMessage().contains("WAL corrupted"), e.getMessage());
    }

    @Test
    void aCorruptHardStateIsRefused() throws IOException {
        started(open(1 << 20), new HardState(7, 3));
        flip(dir.resolve(HardStateFile.NAME), 5, 1);
        IOException e = assertThrows(IOException.class, () -> open(1 << 20).load());
        assertTrue(e.getMessage().contains("hard state"), e.getMessage());
    }

    @Test
    void aFailedWriteFailsThatWriteAndEverythingAfterButKeepsDurableData() throws IOException {
        Vfs full = new FailingVfs(new NioVfs(dir, Runnable::run));
        WalLogStore wal =
                started(new WalLogStore(full, WalFixture.INLINE, new WalConfig(1 << 20, 1000)), new HardState(1, 1));
        write(wal, 1, entry(1, 1, "durable"));
        FailingVfs.diskFull = true;
        List<Throwable> failures = new ArrayList<>();
        wal.append(new Ready.LogWrite(2, List.of(entry(1, 2, "x"))), () -> {}, failures::add);
        FailingVfs.diskFull = false;
        wal.append(new Ready.LogWrite(3, List.of(entry(1, 3, "y"))), () -> {}, failures::add);
        assertEquals(2, failures.size());
        assertTrue(failures.get(0).getMessage().contains("No space"));
        assertEquals(List.of(entry(1, 1, "durable")), open(1 << 20).load().entries());
    }

    @Test
    void preallocatedSegmentsRecoverTheirRecordsAndIgnoreTheUnwrittenRest() throws IOException {
        WalConfig config = new WalConfig(4096, 1000, true);
        WalLogStore wal = started(WalFixture.open(dir, config), new HardState(1, 1));
        List<Entry> expected = new ArrayList<>();
        for (int i = 1; i <= 40; i++) {
            Entry e = entry(1, i, "record-" + i + "-".repeat(100));
            expected.add(e);
            write(wal, i, e);
        }
        Path last;
        try (var files = Files.list(dir)) {
            List<Path> segs = files.filter(p -> p.getFileName().toString().endsWith(".seg"))
                    .sorted()
                    .toList();
            assertTrue(segs.size() > 1, "rolled over");
            for (Path seg : segs) {
                assertEquals(4096, Files.size(seg), "segments are preallocated to full size: " + seg);
            }
            last = segs.get(segs.size() - 1);
        }
        assertEquals(expected, WalFixture.open(dir, config).load().entries());
        // A flipped bit far out in the unwritten zeros is not data: the node still starts.
        overwrite(last, 4000, new byte[] {0x40});
        WalLogStore reopened = WalFixture.open(dir, config);
        assertEquals(expected, reopened.load().entries());
        write(reopened, 41, entry(1, 41, "after"));
        assertEquals(41, WalFixture.open(dir, config).load().entries().size());

        // A torn last write in preallocated space is followed by zeros, not by the end of the file: it is
        // recognised as torn (never acknowledged) and cut off, and the records before it are kept.
        WalLogStore again = WalFixture.open(dir, config);
        again.load();
        write(again, 42, entry(1, 42, "torn-" + "x".repeat(200)));
        long end;
        try (RandomAccessFile f = new RandomAccessFile(last.toFile(), "rw")) {
            byte[] all = new byte[(int) f.length()];
            f.readFully(all);
            end = all.length;
            while (end > 0 && all[(int) end - 1] == 0) {
                end--;
            }
        }
        overwrite(last, end - 120, new byte[120]); // the last 120 bytes of the record never reached the disk
        List<Entry> after = WalFixture.open(dir, config).load().entries();
        assertEquals(41, after.size());
        assertEquals("after", new String(after.get(40).command()));
    }

    /**
     * Found by the simulator (seed 141048): a full disk stopped a new segment after its zero-fill, before its
     * header.
     */
    @Test
    void aZeroFilledLastSegmentWithoutAHeaderIsDroppedNotRefused() throws IOException {
        WalConfig config = new WalConfig(1 << 20, 1000, true);
        WalLogStore wal = started(WalFixture.open(dir, config), new HardState(1, 1));
        write(wal, 1, entry(1, 1, "a"), entry(1, 2, "b"));
        Files.write(segment(2), new byte[8192]);
        WalLogStore reopened = WalFixture.open(dir, config);
        assertEquals(
                List.of(entry(1, 1, "a"), entry(1, 2, "b")), reopened.load().entries());
        write(reopened, 3, entry(1, 3, "c"));
        assertEquals(3, WalFixture.open(dir, config).load().entries().size());
    }
}
