package dev.linden.kvnode.wal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.linden.kvnode.raft.Snapshot;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A snapshot file written a mebibyte at a time (synced as it goes) reads back byte for byte. */
class SnapshotFileTest {
    @TempDir
    Path dir;

    @Test
    void aStateOfSeveralSyncChunksReadsBackWhole() throws IOException {
        NioVfs vfs = new NioVfs(dir, Runnable::run);
        int[] sizes = {
            0,
            1,
            SnapshotFile.SYNC_EVERY_BYTES - 1,
            SnapshotFile.SYNC_EVERY_BYTES,
            2 * SnapshotFile.SYNC_EVERY_BYTES + 7
        };
        long index = 10;
        for (int size : sizes) {
            byte[] state = new byte[size];
            new SplittableRandom(size).nextBytes(state);
            SnapshotFile.write(vfs, new Snapshot(index, 3, state));
            Snapshot back = SnapshotFile.read(vfs, SnapshotFile.name(index));
            assertEquals(index, back.index());
            assertEquals(3, back.term());
            assertArrayEquals(state, back.data(), "a state of " + size + " bytes");
            assertArrayEquals(
                    Arrays.copyOfRange(state, Math.max(0, size - 5), size),
                    SnapshotFile.readChunk(vfs, index, Math.max(0, size - 5), Math.min(5, size)),
                    "the state's last bytes, where the last chunk ends");
            index += 10;
        }
    }
}
