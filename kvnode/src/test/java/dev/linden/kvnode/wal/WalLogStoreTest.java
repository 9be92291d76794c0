package dev.linden.kvnode.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.kvnode.node.LogStore;
import dev.linden.kvnode.node.Stage;
import dev.linden.kvnode.raft.Entry;
import dev.linden.kvnode.raft.HardState;
import dev.linden.kvnode.raft.Ready;
import dev.linden.kvnode.raft.Snapshot;
import dev.linden.kvnode.raft.TermLookup;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WalLogStoreTest {
    @TempDir
    Path dir;

    /** Runs every task inline: the test is single-threaded and deterministic. */
    static final Stage INLINE = new Stage() {
        @Override
        public void execute(Runnable task) {
            task.run();
        }

        @Override
        public Cancellable schedule(long delayMillis, Runnable task) {
            throw new UnsupportedOperationException();
        }
    };

    private WalLogStore open(long segmentBytes) throws IOException {
        return new WalLogStore(new NioVfs(dir, Runnable::run), INLINE, new WalConfig(segmentBytes, 1000));
    }

    private static Entry entry(long term, long index, String payload) {
        return new Entry(term, index, Entry.Kind.COMMAND, payload.getBytes());
    }

    private static void write(WalLogStore wal, long id, Entry... entries) {
        AtomicInteger durable = new AtomicInteger();
        wal.append(new Ready.LogWrite(id, List.of(entries)), durable::incrementAndGet, e -> {
            throw new AssertionError(e);
        });
        assertEquals(1, durable.get(), "inline sync completes the write");
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
        WalLogStore wal = open(1 << 20);
        wal.load();
        wal.saveHardState(new HardState(2, 0));
        write(wal, 1, entry(1, 1, "a"), entry(1, 2, "stale"), entry(1, 3, "stale"));
        write(wal, 2, entry(2, 2, "new"));
        assertEquals(
                List.of(entry(1, 1, "a"), entry(2, 2, "new")),
                open(1 << 20).load().entries());
    }

    @Test
    void segmentsRollAndReplayInOrder() throws IOException {
        WalLogStore wal = open(1024);
        wal.load();
        wal.saveHardState(new HardState(1, 1));
        List<Entry> expected = new ArrayList<>();
        for (int i = 1; i <= 200; i++) {
            Entry e = entry(1, i, "payload-" + i);
            expected.add(e);
            write(wal, i, e);
        }
        long segments;
        try (var s = Files.list(dir)) {
            segments =
                    s.filter(p -> p.getFileName().toString().endsWith(".seg")).count();
        }
        assertTrue(segments > 3, "expected several segments, got " + segments);
        assertEquals(expected, open(1024).load().entries());
    }

    @Test
    void aTornTailIsTruncatedAndTheLogKeepsWorking() throws IOException {
        WalLogStore wal = open(1 << 20);
        wal.load();
        wal.saveHardState(new HardState(1, 1));
        write(wal, 1, entry(1, 1, "kept"));
        write(wal, 2, entry(1, 2, "torn-by-a-crash"));
        Path seg = dir.resolve(SegmentFile.name(1));
        long end =
                SegmentFile.HEADER_BYTES + WalRecord.HEADER_BYTES * 2L + "kept".length() + "torn-by-a-crash".length();
        try (RandomAccessFile f = new RandomAccessFile(seg.toFile(), "rw")) {
            f.seek(end - 5);
            f.write(new byte[5]); // the crash left the last record's last bytes unwritten; the size stays
        }
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
        WalLogStore wal = open(1 << 20);
        wal.load();
        wal.saveHardState(new HardState(1, 1));
        write(wal, 1, entry(1, 1, "old-record"));
        write(wal, 2, entry(1, 2, "newer"));
        Path seg = dir.resolve(SegmentFile.name(1));
        try (RandomAccessFile f = new RandomAccessFile(seg.toFile(), "rw")) {
            long at = SegmentFile.HEADER_BYTES + WalRecord.HEADER_BYTES + 2; // inside the first payload
            f.seek(at);
            int b = f.read();
            f.seek(at);
            f.write(b ^ 0x10);
        }
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
        WalLogStore wal = open(1 << 20);
        wal.load();
        wal.saveHardState(new HardState(1, 1));
        write(wal, 1, entry(1, 1, "first"));
        write(wal, 2, entry(1, 2, "acknowledged-after-it"));
        Path seg = dir.resolve(SegmentFile.name(1));
        try (RandomAccessFile f = new RandomAccessFile(seg.toFile(), "rw")) {
            f.seek(SegmentFile.HEADER_BYTES + 1); // second byte of the first record's length
            f.write(0x10); // length now ~1 MB: past the end of the file
        }
        IOException e = assertThrows(IOException.class, () -> open(1 << 20).load());
        assertTrue(e.getMessage().contains("WAL corrupted"), e.getMessage());
    }

    @Test
    void aCorruptHardStateIsRefused() throws IOException {
        WalLogStore wal = open(1 << 20);
        wal.load();
        wal.saveHardState(new HardState(7, 3));
        Path hs = dir.resolve(HardStateFile.NAME);
        byte[] bytes = Files.readAllBytes(hs);
        bytes[5] ^= 1;
        Files.write(hs, bytes);
        IOException e = assertThrows(IOException.class, () -> open(1 << 20).load());
        assertTrue(e.getMessage().contains("hard state"), e.getMessage());
    }

    @Test
    void aFailedWriteFailsThatWriteAndEverythingAfterButKeepsDurableData() throws IOException {
        Vfs full = new FailingVfs(new NioVfs(dir, Runnable::run));
        WalLogStore wal = new WalLogStore(full, INLINE, new WalConfig(1 << 20, 1000));
        wal.load();
        wal.saveHardState(new HardState(1, 1));
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

    /** Wraps a Vfs so writes can fail like a full disk. */
    static final class FailingVfs implements Vfs {
        static volatile boolean diskFull;
        private final Vfs inner;

        FailingVfs(Vfs inner) {
            this.inner = inner;
        }

        @Override
        public List<String> list() throws IOException {
            return inner.list();
        }

        @Override
        public VfsFile open(String name, boolean create) throws IOException {
            VfsFile f = inner.open(name, create);
            return new VfsFile() {
                @Override
                public long size() throws IOException {
                    return f.size();
                }

                @Override
                public int read(long position, ByteBuffer dst) throws IOException {
                    return f.read(position, dst);
                }

                @Override
                public void write(long position, ByteBuffer src) throws IOException {
                    if (diskFull) {
                        throw new IOException("No space left on device");
                    }
                    f.write(position, src);
                }

                @Override
                public void truncate(long size) throws IOException {
                    f.truncate(size);
                }

                @Override
                public void sync(Runnable onDurable, Consumer<IOException> onFailure) {
                    f.sync(onDurable, onFailure);
                }

                @Override
                public void syncNow() throws IOException {
                    f.syncNow();
                }

                @Override
                public void close() throws IOException {
                    f.close();
                }
            };
        }

        @Override
        public void rename(String from, String to) throws IOException {
            inner.rename(from, to);
        }

        @Override
        public void delete(String name) throws IOException {
            inner.delete(name);
        }

        @Override
        public void syncDirectory() throws IOException {
            inner.syncDirectory();
        }
    }

    private static long segmentCount(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".seg"))
                    .count();
        }
    }

    @Test
    void aSnapshotDeletesTheSegmentsItCoversAndRecoveryResumesAfterIt() throws IOException {
        WalLogStore wal = open(1024);
        wal.load();
        wal.saveHardState(new HardState(2, 1));
        for (int i = 1; i <= 60; i++) {
            write(wal, i, entry(i <= 30 ? 1 : 2, i, "payload-" + i + "-".repeat(40)));
        }
        long before = segmentCount(dir);
        assertTrue(before > 3, "the log spans several segments: " + before);
        AtomicInteger durable = new AtomicInteger();
        wal.saveSnapshot(new Snapshot(45, 2, "state@45".getBytes()), durable::incrementAndGet, e -> {
            throw new AssertionError(e);
        });
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
        WalLogStore wal = open(1024);
        wal.load();
        wal.saveHardState(new HardState(5, 1));
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
        WalLogStore wal = open(1 << 20);
        wal.load();
        wal.saveHardState(new HardState(1, 1));
        write(wal, 1, entry(1, 1, "a"), entry(1, 2, "b"));
        wal.saveSnapshot(new Snapshot(2, 1, "some state".getBytes()), () -> {}, e -> {
            throw new AssertionError(e);
        });
        Path snap = dir.resolve(SnapshotFile.name(2));
        try (RandomAccessFile f = new RandomAccessFile(snap.toFile(), "rw")) {
            f.seek(26);
            int b = f.read();
            f.seek(26);
            f.write(b ^ 0x10);
        }
        IOException e = assertThrows(IOException.class, () -> open(1 << 20).load());
        assertTrue(e.getMessage().contains("checksum mismatch"), e.getMessage());
    }

    @Test
    void anUnfinishedSnapshotWriteIsIgnored() throws IOException {
        WalLogStore wal = open(1 << 20);
        wal.load();
        wal.saveHardState(new HardState(1, 1));
        write(wal, 1, entry(1, 1, "a"));
        Files.write(dir.resolve(SnapshotFile.name(1) + ".tmp"), new byte[] {1, 2, 3});
        LogStore.Recovered r = open(1 << 20).load();
        assertEquals(null, r.snapshot());
        assertEquals(List.of(entry(1, 1, "a")), r.entries());
        assertTrue(Files.notExists(dir.resolve(SnapshotFile.name(1) + ".tmp")));
    }

    @Test
    void preallocatedSegmentsRecoverTheirRecordsAndIgnoreTheUnwrittenRest() throws IOException {
        WalConfig config = new WalConfig(4096, 1000, true);
        WalLogStore wal = new WalLogStore(new NioVfs(dir, Runnable::run), INLINE, config);
        wal.load();
        wal.saveHardState(new HardState(1, 1));
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
        assertEquals(
                expected,
                new WalLogStore(new NioVfs(dir, Runnable::run), INLINE, config)
                        .load()
                        .entries());
        // A flipped bit far out in the unwritten zeros is not data: the node still starts.
        try (RandomAccessFile f = new RandomAccessFile(last.toFile(), "rw")) {
            f.seek(4000);
            f.write(0x40);
        }
        WalLogStore reopened = new WalLogStore(new NioVfs(dir, Runnable::run), INLINE, config);
        assertEquals(expected, reopened.load().entries());
        write(reopened, 41, entry(1, 41, "after"));
        assertEquals(
                41,
                new WalLogStore(new NioVfs(dir, Runnable::run), INLINE, config)
                        .load()
                        .entries()
                        .size());

        // A torn last write in preallocated space is followed by zeros, not by the end of the file: it is
        // recognised as torn (never acknowledged) and cut off, and the records before it are kept.
        WalLogStore again = new WalLogStore(new NioVfs(dir, Runnable::run), INLINE, config);
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
            f.seek(end - 120);
            f.write(new byte[120]); // the last 120 bytes of the record never reached the disk
        }
        List<Entry> after = new WalLogStore(new NioVfs(dir, Runnable::run), INLINE, config)
                .load()
                .entries();
        assertEquals(41, after.size());
        assertEquals("after", new String(after.get(40).command()));
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
        WalLogStore wal = open(2048);
        wal.load();
        wal.saveHardState(new HardState(3, 1));
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
        WalLogStore wal = open(1 << 20);
        wal.load();
        wal.saveHardState(new HardState(2, 1));
        for (int i = 1; i <= 10; i++) {
            write(wal, i, entry(1, i, "e" + i));
        }
        wal.saveSnapshot(new Snapshot(20, 2, "state@20".getBytes()), () -> {}, e -> {
            throw new AssertionError(e);
        });
        WalLogStore reopened = open(1 << 20);
        LogStore.Recovered r = reopened.load();
        assertEquals(20, r.snapshot().index());
        assertEquals(List.of(), r.entries());
        write(reopened, 1, entry(2, 21, "after"));
        assertEquals(List.of(entry(2, 21, "after")), open(1 << 20).load().entries());
    }

    /** Found by the simulator (seed 141048): a full disk stopped a new segment after its zero-fill, before its header. */
    @Test
    void aZeroFilledLastSegmentWithoutAHeaderIsDroppedNotRefused() throws IOException {
        WalConfig config = new WalConfig(1 << 20, 1000, true);
        WalLogStore wal = new WalLogStore(new NioVfs(dir, Runnable::run), INLINE, config);
        wal.load();
        wal.saveHardState(new HardState(1, 1));
        write(wal, 1, entry(1, 1, "a"), entry(1, 2, "b"));
        Files.write(dir.resolve(SegmentFile.name(2)), new byte[8192]);
        WalLogStore reopened = new WalLogStore(new NioVfs(dir, Runnable::run), INLINE, config);
        assertEquals(
                List.of(entry(1, 1, "a"), entry(1, 2, "b")), reopened.load().entries());
        write(reopened, 3, entry(1, 3, "c"));
        assertEquals(
                3,
                new WalLogStore(new NioVfs(dir, Runnable::run), INLINE, config)
                        .load()
                        .entries()
                        .size());
    }
}
