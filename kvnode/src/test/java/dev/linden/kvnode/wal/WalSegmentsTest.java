package dev.linden.kvnode.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.kvnode.raft.Entry;
import dev.linden.kvnode.raft.HardState;
import dev.linden.kvnode.raft.Ready;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Record offsets read from outside the WAL, and what recovery makes of a tail cut at them or inside one. */
class WalSegmentsTest {
    @TempDir
    Path dir;

    private WalLogStore open(boolean preallocate) throws IOException {
        return new WalLogStore(
                new NioVfs(dir, Runnable::run), WalFixture.INLINE, new WalConfig(1 << 20, 1000, preallocate));
    }

    /** Ten entries of growing payloads, written one write each, and the only segment's path. */
    private Path tenEntries(boolean preallocate) throws IOException {
        WalLogStore wal = open(preallocate);
        wal.load();
        wal.saveHardState(new HardState(2, 1));
        for (int i = 1; i <= 10; i++) {
            Entry e = new Entry(
                    i <= 4 ? 1 : 2, i, Entry.Kind.COMMAND, "x".repeat(i * 3).getBytes());
            wal.append(new Ready.LogWrite(i, List.of(e)), () -> {}, t -> {
                throw new AssertionError(t);
            });
        }
        wal.close();
        try (Stream<Path> ls = Files.list(dir)) {
            return ls.filter(p -> WalSegments.isSegment(p.getFileName().toString()))
                    .findFirst()
                    .orElseThrow();
        }
    }

    @Test
    void recordsAreFoundByTheirLengthsFromTheHeaderAndStopAtZeros() throws IOException {
        for (boolean preallocate : List.of(false, true)) {
            Path seg = tenEntries(preallocate);
            byte[] bytes = Files.readAllBytes(seg);
            List<WalSegments.RecordSpan> rs = WalSegments.records(bytes);
            assertEquals(10, rs.size(), "preallocate " + preallocate);
            assertEquals(SegmentFile.HEADER_BYTES, rs.get(0).offset());
            for (int i = 0; i < rs.size(); i++) {
                assertEquals(i + 1, rs.get(i).index());
                assertEquals(WalRecord.HEADER_BYTES + (i + 1) * 3, rs.get(i).bytes());
                assertEquals(i <= 3 ? 1 : 2, rs.get(i).term());
                if (i > 0) {
                    assertEquals(rs.get(i - 1).end(), rs.get(i).offset(), "back to back");
                }
            }
            assertTrue(bytes.length > rs.get(9).end(), "zeros follow: a segment has its full size from the start");
            for (Path p : Files.list(dir).toList()) {
                Files.delete(p);
            }
        }
    }

    @Test
    void aTornOrGarbledRecordEndsTheWalk() throws IOException {
        byte[] bytes = Files.readAllBytes(tenEntries(false));
        List<WalSegments.RecordSpan> rs = WalSegments.records(bytes);
        assertEquals(
                7,
                WalSegments.records(Arrays.copyOf(bytes, rs.get(7).offset() + 5))
                        .size());
        byte[] garbled = bytes.clone();
        garbled[rs.get(4).offset() + WalRecord.HEADER_BYTES] ^= 1;
        assertEquals(4, WalSegments.records(garbled).size());
        assertEquals(List.of(), WalSegments.records(new byte[3]));
        assertEquals(List.of(), WalSegments.records(new byte[4096]));
    }

    /** Recovery cannot tell a tail cut at a boundary from a log that ended there; one cut inside a record is torn. */
    @Test
    void aTailCutAtABoundaryOrInsideARecordRecoversToTheRecordBefore() throws IOException {
        for (boolean inside : List.of(false, true)) {
            Path seg = tenEntries(false);
            WalSegments.RecordSpan seventh =
                    WalSegments.records(Files.readAllBytes(seg)).get(6);
            try (RandomAccessFile f = new RandomAccessFile(seg.toFile(), "rw")) {
                f.setLength(seventh.offset() + (inside ? seventh.bytes() / 2 : 0));
            }
            List<Entry> recovered = open(false).load().entries();
            assertEquals(6, recovered.size(), "cut inside: " + inside);
            assertEquals(6, recovered.get(5).index());
            assertTrue(WalSegments.isSegment(seg.getFileName().toString()));
            for (Path p : Files.list(dir).toList()) {
                Files.delete(p);
            }
        }
    }
}
