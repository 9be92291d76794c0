package dev.linden.kvnode.wal;

import static dev.linden.kvnode.wal.WalFixture.entry;
import static dev.linden.kvnode.wal.WalFixture.flip;
import static dev.linden.kvnode.wal.WalFixture.segmentCount;
import static dev.linden.kvnode.wal.WalFixture.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.kvnode.node.LogStore;
import dev.linden.kvnode.raft.Entry;
import dev.linden.kvnode.raft.HardState;
import dev.linden.kvnode.raft.Ready;
import dev.linden.kvnode.raft.Snapshot;
import dev.linden.kvnode.raft.TermLookup;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The WAL with snapshots (the node's own, and installed from the leader), and entries read back from it. */
class WalSnapshotTest {
    @TempDir
    Path dir;

    private WalLogStore open(long segmentBytes) throws IOException {
        return WalFixture.open(dir, segmentBytes);
    }

    /** A WAL opened and loaded empty, with a hard state saved. */
    private WalLogStore started(long segmentBytes, HardState hs) throws IOException {
        WalLogStore wal = open(segmentBytes);
        wal.load();
        wal.saveHardState(hs);
        return wal;
    }

    private static void saveSnapshot(WalLogStore wal, Snapshot snap, Runnable onDurable) {
        wal.saveSnapshot(snap, onDurable, e -> {
            throw new AssertionError(e);
        });
    }

    @Test
    void aSnapshotDeletesTheSegmentsItCoversAndRecoveryResumesAfterIt() throws IOException {
        WalLogStore wal = started(1024, new HardState(2, 1));
        for (int i = 1; i <= 60; i++) {
            write(wal, i, entry(i <= 30 ? 1 : 2, i, "payload-" + i + "-".repeat(40)));
        }
        long before = segmentCount(dir);
        assertTrue(before > 3, "the log spans several segments: " + before);
        AtomicInteger durable = new AtomicInteger();
        saveSnapshot(wal, new Snapshot(45, 2, "state@45".getBytes()), durable::incrementAndGet);
        assertEquals(1, durable.get());
        assertEquals(before, segmentCount(dir), "a snapshot alone deletes nothing");
        wal.compact(45);
        assertTrue(segmentCount(dir) < before, "segments wholly before index 45 were deleted");

        LogStore.Recovered r = open(1024).load();
        assertEquals(45, r.snapshot().index());
        assertEquals("state@45", new String(r.snapshot().data()));
        assertEquals(46, r.entries().get(0).index(), "entries resume right after the snapshot");
        assertEquals(60, r.entries().get(r.entries().size() - 1).index());
    }

    @Test
    void aSnapshotFromTheLeaderReplacesTheWholeLog() throws IOException {
        WalLogStore wal = started(1024, new HardState(5, 1));
        for (int i = 1; i <= 20; i++) {
            write(wal, i, entry(1, i, "old-" + i + "-".repeat(60))); // a stale tail the leader never had
        }
        AtomicInteger durable = new AtomicInteger();
        wal.append(
                new Ready.LogWrite(21, new Snapshot(100, 4, "leader-state".getBytes()), List.of()),
                durable::incrementAndGet,
                e -> {
                    throw new AssertionError(e);
                });
        assertEquals(1, durable.get());
        write(wal, 22, entry(5, 101, "after"));

        LogStore.Recovered r = open(1024).load();
        assertEquals(100, r.snapshot().index());
        assertEquals(List.of(entry(5, 101, "after")), r.entries());
    }

    @Test
    void aDamagedSnapshotIsRefusedNotSkipped() throws IOException {
        WalLogStore wal = started(1 << 20, new HardState(1, 1));
        write(wal, 1, entry(1, 1, "a"), entry(1, 2, "b"));
        saveSnapshot(wal, new Snapshot(2, 1, "some state".getBytes()), () -> {});
        flip(dir.resolve(SnapshotFile.name(2)), 26, 0x10);
        IOException e = assertThrows(IOException.class, () -> open(1 << 20).load());
        assertTrue(e.getMessage().contains("checksum mismatch"), e.getMessage());
    }

    @Test
    void anUnfinishedSnapshotWriteIsIgnored() throws IOException {
        WalLogStore wal = started(1 << 20, new HardState(1, 1));
        write(wal, 1, entry(1, 1, "a"));
        Files.write(dir.resolve(SnapshotFile.name(1) + ".tmp"), new byte[] {1, 2, 3});
        LogStore.Recovered r = open(1 << 20).load();
        assertEquals(null, r.snapshot());
        assertEquals(List.of(entry(1, 1, "a")), r.entries());
        assertTrue(Files.notExists(dir.resolve(SnapshotFile.name(1) + ".tmp")));
    }

    private static List<Entry> readBack(WalLogStore wal, long from, int max, TermLookup terms) {
        List<List<Entry>> got = new ArrayList<>();
        wal.read(from, max, 1 << 20, terms, got::add, e -> {
            throw new AssertionError(e);
        });
        assertEquals(1, got.size(), "inline read completes");
        return got.get(0);
    }

    @Test
    void evictedEntriesAreReadBackSkippingVersionsATruncationReplaced() throws IOException {
        WalLogStore wal = started(2048, new HardState(3, 1));
        for (int i = 1; i <= 30; i++) {
            write(wal, i, entry(1, i, "e" + i + "-".repeat(50)));
        }
        // A new leader replaced 21..30 with entries of term 3 (written later, append-only).
        for (int i = 21; i <= 40; i++) {
            write(wal, 100 + i, entry(3, i, "n" + i + "-".repeat(50)));
        }
        // Terms as the core knows them: 1 through 20, 3 from 21 to 40.
        var terms = new TermLookup(0, 40, new long[] {1, 21}, new long[] {1, 3});
        List<Entry> first = readBack(wal, 15, 10, terms);
        assertEquals(10, first.size());
        for (int k = 0; k < 10; k++) {
            long index = 15 + k;
            assertEquals(index, first.get(k).index());
            assertEquals(
                    index <= 20 ? 1 : 3, first.get(k).term(), "the version the log holds now, not the replaced one");
        }
        List<Entry> next = readBack(wal, 25, 100, terms); // continues where the last read stopped
        assertEquals(16, next.size());
        assertEquals(40, next.get(15).index());
        assertEquals(List.of(), readBack(wal, 41, 10, terms), "nothing beyond the log");
    }

    /**
     * Found by the simulator (seed 132019): a snapshot became durable while the log writes it covers did
     * not (a crash lost them). The log then stopped short of the snapshot, and new entries appended after
     * it left a gap that the next recovery refused as corruption.
     */
    @Test
    void aLogThatStopsShortOfTheSnapshotStartsAfreshAfterIt() throws IOException {
        WalLogStore wal = started(1 << 20, new HardState(2, 1));
        for (int i = 1; i <= 10; i++) {
            write(wal, i, entry(1, i, "e" + i));
        }
        saveSnapshot(wal, new Snapshot(20, 2, "state@20".getBytes()), () -> {});
        WalLogStore reopened = open(1 << 20);
        LogStore.Recovered r = reopened.load();
        assertEquals(20, r.snapshot().index());
        assertEquals(List.of(), r.entries());
        write(reopened, 1, entry(2, 21, "after"));
        assertEquals(List.of(entry(2, 21, "after")), open(1 << 20).load().entries());
    }
}
