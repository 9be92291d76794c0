package dev.linden.kvnode.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Recovery tells lost acknowledged log (a segment cut, at a record boundary or inside a record; segments
 * deleted) from a crash's torn last write, records the loss in the hard state before repairing the files,
 * and the repaired WAL is whole again at the next start.
 */
class LostDataTest {
    @TempDir
    Path dir;

    private final List<String> events = new ArrayList<>();

    private WalLogStore open(long segmentBytes) throws IOException {
        WalLogStore wal =
                new WalLogStore(new NioVfs(dir, Runnable::run), WalFixture.INLINE, new WalConfig(segmentBytes, 1000));
        wal.setEventSink(events::add);
        return wal;
    }

    private static Entry entry(long index) {
        return new Entry(2, index, Entry.Kind.COMMAND, ("value-" + index).getBytes());
    }

    /** Writes entries 1..n of term 2 (one write each) at hard state term 3; returns each record's end offset. */
    private long[] writeLog(WalLogStore wal, int n) throws IOException {
        wal.load();
        wal.saveHardState(new HardState(3, 1));
        long[] ends = new long[n + 1];
        long at = SegmentFile.HEADER_BYTES;
        for (int i = 1; i <= n; i++) {
            AtomicInteger durable = new AtomicInteger();
            wal.append(new Ready.LogWrite(i, List.of(entry(i))), durable::incrementAndGet, e -> {
                throw new AssertionError(e);
            });
            assertEquals(1, durable.get());
            at += WalRecord.size(entry(i));
            ends[i] = at;
        }
        return ends;
    }

    private long newestSeq() throws IOException {
        try (Stream<Path> ls = Files.list(dir)) {
            return ls.mapToLong(p -> SegmentFile.seqOf(p.getFileName().toString()))
                    .max()
                    .orElseThrow();
        }
    }

    private void cut(long seq, long length) throws IOException {
        try (RandomAccessFile f =
                new RandomAccessFile(dir.resolve(SegmentFile.name(seq)).toFile(), "rw")) {
            f.setLength(length);
        }
    }

    @Test
    void aSegmentIsCreatedAtItsFullSize() throws IOException {
        writeLog(open(1 << 16), 3);
        assertEquals(1 << 16, Files.size(dir.resolve(SegmentFile.name(1))));
        assertTrue(Files.exists(dir.resolve(WalMarkFile.NAME)));
    }

    @Test
    void aTailCutAtARecordBoundaryIsLostDataNotACleanEnd() throws IOException {
        long[] ends = writeLog(open(1 << 16), 10);
        cut(1, ends[6]); // the last 4 acknowledged records gone, cleanly
        LogStore.Recovered r = open(1 << 16).load();
        assertEquals(6, r.entries().size());
        assertNotNull(r.lostData());
        assertTrue(r.lostData().contains("at-a-record-boundary"), r.lostData());
        assertEquals(new HardState(4, 0, 3), r.hardState(), "term moved past the loss, which is on record");
        assertEquals(r.hardState(), open(1 << 16).load().hardState(), "the record is durable");
        assertTrue(
                events.stream().anyMatch(e -> e.startsWith("event=wal-data-loss reason=segment-cut")),
                events.toString());
    }

    @Test
    void aCutInsideARecordIsLostDataHoweverLarge() throws IOException {
        long[] ends = writeLog(open(1 << 16), 10);
        cut(1, ends[2] + 7);
        LogStore.Recovered r = open(1 << 16).load();
        assertEquals(2, r.entries().size());
        assertTrue(r.lostData() != null && r.lostData().contains("inside-a-record"), String.valueOf(r.lostData()));
        assertTrue(
                events.stream().noneMatch(e -> e.contains("never acknowledged")),
                "never taken for a torn write: " + events);
    }

    @Test
    void afterTheLossIsRecordedTheRepairedLogIsWholeAndKeepsWorking() throws IOException {
        long[] ends = writeLog(open(1 << 16), 10);
        cut(1, ends[5]);
        WalLogStore wal = open(1 << 16);
        assertNotNull(wal.load().lostData());
        AtomicInteger durable = new AtomicInteger();
        wal.append(new Ready.LogWrite(1, List.of(entry(6))), durable::incrementAndGet, e -> {
            throw new AssertionError(e);
        });
        LogStore.Recovered again = open(1 << 16).load();
        assertNull(again.lostData(), "repaired files are not found damaged again");
        assertEquals(6, again.entries().size());
        assertEquals(3, again.hardState().lostThroughTerm(), "the node still abstains until a leader repairs it");
        assertEquals(1 << 16, Files.size(dir.resolve(SegmentFile.name(1))));
    }

    @Test
    void deletedSegmentsAreLostDataEvenWithTheHardStateKept() throws IOException {
        writeLog(open(1024), 60); // several segments
        try (Stream<Path> ls = Files.list(dir)) {
            for (Path p : ls.toList()) {
                String name = p.getFileName().toString();
                if (name.endsWith(".seg") || name.endsWith(".pre")) {
                    Files.delete(p);
                }
            }
        }
        LogStore.Recovered r = open(1024).load();
        assertEquals(0, r.entries().size());
        assertTrue(r.lostData() != null && r.lostData().contains("segments-missing"), String.valueOf(r.lostData()));
        assertEquals(3, r.hardState().lostThroughTerm());
    }

    @Test
    void onlyTheNewestSegmentDeletedIsLostData() throws IOException {
        writeLog(open(1024), 60);
        long newest = newestSeq();
        Files.delete(dir.resolve(SegmentFile.name(newest)));
        LogStore.Recovered r = open(1024).load();
        assertTrue(r.lostData() != null && r.lostData().contains("segments-missing"), String.valueOf(r.lostData()));
        assertTrue(r.entries().size() < 60 && !r.entries().isEmpty());
    }

    @Test
    void theNewestSegmentCutToNothingIsLostData() throws IOException {
        writeLog(open(1024), 60);
        long newest = newestSeq();
        cut(newest, 0);
        LogStore.Recovered r = open(1024).load();
        assertTrue(r.lostData() != null && r.lostData().contains("segment-cut"), String.valueOf(r.lostData()));
    }

    @Test
    void aSegmentCutInTheMiddleOfTheLogIsRefusedWithTheWayToRecover() throws IOException {
        writeLog(open(1024), 60);
        cut(1, 300);
        IOException e = assertThrows(IOException.class, () -> open(1024).load());
        assertTrue(
                e.getMessage().contains("missing from the middle of the log")
                        && e.getMessage().contains("cluster remove"),
                e.getMessage());
    }

    @Test
    void aCleanRestartFindsNoLoss() throws IOException {
        writeLog(open(1024), 60);
        LogStore.Recovered r = open(1024).load();
        assertNull(r.lostData());
        assertEquals(60, r.entries().size());
        assertEquals(new HardState(3, 1), r.hardState());
    }

    @Test
    void aSegmentTheMarkDoesNotNameYetIsNamedAtRecoverySoItsLaterCutIsSeen() throws IOException {
        writeLog(open(1024), 60);
        long newest = newestSeq();
        // A crash between the newest segment's creation and its mark.
        WalMarkFile.save(new NioVfs(dir, Runnable::run), newest - 1);
        assertNull(open(1024).load().lostData(), "a segment newer than the mark is no loss");
        assertEquals(newest, WalMarkFile.load(new NioVfs(dir, Runnable::run)), "recovery names it");
        cut(newest, SegmentFile.HEADER_BYTES + 3);
        assertNotNull(open(1024).load().lostData(), "its cut is now seen");
    }

    @Test
    void aSegmentStillBeingCreatedAtACrashIsDroppedNotTakenForLoss() throws IOException {
        writeLog(open(1024), 5);
        Files.write(dir.resolve(SegmentFile.creatingName(2)), new byte[] {1, 2, 3}); // torn header, never renamed
        LogStore.Recovered r = open(1024).load();
        assertNull(r.lostData());
        assertEquals(5, r.entries().size());
        assertTrue(Files.notExists(dir.resolve(SegmentFile.creatingName(2))));
    }

    @Test
    void theOperatorCanAcceptTheLossWhenNoLeaderCanRepairIt() throws IOException {
        long[] ends = writeLog(open(1 << 16), 10);
        cut(1, ends[4]);
        Vfs vfs = new NioVfs(dir, Runnable::run);
        assertEquals(
                3,
                LostLogAcceptance.accept(vfs, new WalConfig(1 << 16, 1000), events::add),
                "the loss is found and then accepted");
        LogStore.Recovered r = open(1 << 16).load();
        assertEquals(0, r.hardState().lostThroughTerm());
        assertEquals(4, r.entries().size());
        assertTrue(events.stream().anyMatch(e -> e.startsWith("event=lost-log-accepted")), events.toString());
        assertEquals(0, LostLogAcceptance.accept(vfs, new WalConfig(1 << 16, 1000), events::add), "nothing left");
    }
}
