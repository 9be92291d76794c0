package dev.linden.kvnode.wal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.kvnode.raft.HardState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The read-only view of a WAL: what recovery would load, with each entry's segment, and a torn tail, a
 * truncation and damage reported without a byte of the directory changing.
 */
class WalInspectionTest {
    @TempDir
    Path dir;

    private TreeMap<String, byte[]> files() throws IOException {
        TreeMap<String, byte[]> out = new TreeMap<>();
        try (var ls = Files.list(dir)) {
            for (Path p : ls.toList()) {
                out.put(p.getFileName().toString(), Files.readAllBytes(p));
            }
        }
        return out;
    }

    @Test
    void readsWhatRecoveryWouldLoadAndChangesNothing() throws IOException {
        WalLogStore wal = WalFixture.open(dir, 4096);
        wal.load();
        wal.saveHardState(new HardState(2, 1));
        for (int i = 1; i <= 40; i++) {
            WalFixture.write(wal, i, WalFixture.entry(1, i, "payload-" + i + "-".repeat(300)));
        }
        WalFixture.write(wal, 41, WalFixture.entry(2, 30, "replaces 30 on")); // a follower's truncation
        wal.close();
        Path last = dir.resolve(SegmentFile.name(files().keySet().stream()
                .filter(n -> SegmentFile.seqOf(n) >= 0)
                .mapToLong(SegmentFile::seqOf)
                .max()
                .orElseThrow()));
        List<WalSegments.RecordSpan> records = WalSegments.records(Files.readAllBytes(last));
        int end = records.get(records.size() - 1).end();
        WalFixture.overwrite(last, end, new byte[] {1, 2, 3}); // a write torn by a crash
        TreeMap<String, byte[]> before = files();
        WalInspection.Contents c = WalInspection.read(dir);
        assertEquals(30, c.lastIndex());
        assertEquals(2, c.entry(30).term());
        assertEquals(new HardState(2, 1), c.hardState());
        assertEquals(List.of(), c.problems());
        assertEquals(SegmentFile.name(1), c.fileOf(1));
        assertTrue(SegmentFile.seqOf(c.fileOf(30)) > 1, c.fileOf(30));
        assertNull(c.entry(31));
        assertTrue(c.tornTail().startsWith(last.getFileName() + " bytes " + end + ".."), c.tornTail());
        TreeMap<String, byte[]> after = files();
        assertEquals(before.keySet(), after.keySet());
        before.forEach((name, bytes) -> assertArrayEquals(bytes, after.get(name), name + " changed"));
    }

    @Test
    void damageIsAProblemNotARepair() throws IOException {
        WalLogStore wal = WalFixture.open(dir, 1 << 20);
        wal.load();
        wal.saveHardState(new HardState(1, 1));
        for (int i = 1; i <= 5; i++) {
            WalFixture.write(wal, i, WalFixture.entry(1, i, "v" + i));
        }
        wal.close();
        Path seg = dir.resolve(SegmentFile.name(1));
        WalFixture.flip(seg, SegmentFile.HEADER_BYTES + WalRecord.HEADER_BYTES + 1, 0x10); // inside record 1
        byte[] damaged = Files.readAllBytes(seg);
        WalInspection.Contents c = WalInspection.read(dir);
        assertEquals(1, c.problems().size(), c.problems().toString());
        assertTrue(
                c.problems().get(0).contains("offset " + SegmentFile.HEADER_BYTES),
                c.problems().toString());
        assertArrayEquals(damaged, Files.readAllBytes(seg));
        assertNotNull(c.hardState());
        assertThrows(IOException.class, () -> new ReadOnlyVfs(dir).delete(SegmentFile.name(1)));
    }
}
