package dev.linden.sim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.kvnode.wal.VfsFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The simulated disk's directory: volatile until synced, as POSIX promises. */
class SimDiskTest {
    private static SimDisk disk(long seed, boolean dirSyncSkipped) {
        return new SimDisk(new SimLoop(1_000), 1, new SplittableRandom(seed), 1_000, 2_000, false, dirSyncSkipped);
    }

    private static void writeSynced(SimDisk d, String name, String text) throws Exception {
        try (VfsFile f = d.open(name, true)) {
            f.write(0, ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
            f.syncNow();
        }
    }

    @Test
    void aFileSyncedButNeverEnteredDurablyInItsDirectoryVanishesInACrash() throws Exception {
        SimDisk d = disk(1, false);
        writeSynced(d, "a", "kept");
        d.syncDirectory();
        writeSynced(d, "b", "data synced, entry not");
        assertNull(d.durableBytes("b"), "the entry is not durable, so neither is the file");
        assertEquals(1, d.pendingDirectoryOps());
        // Over many crashes (each keeps a random prefix of the directory operations), b survives only sometimes.
        Set<Boolean> outcomes = new HashSet<>();
        for (long seed = 1; seed <= 40; seed++) {
            SimDisk e = disk(seed, false);
            writeSynced(e, "a", "kept");
            e.syncDirectory();
            writeSynced(e, "b", "data synced, entry not");
            e.crash();
            assertTrue(e.list().contains("a"));
            outcomes.add(e.list().contains("b"));
        }
        assertEquals(Set.of(true, false), outcomes);
    }

    @Test
    void aRenameNotSyncedMayRevertAndADeleteMayBeUndone() throws Exception {
        Set<List<String>> outcomes = new HashSet<>();
        for (long seed = 1; seed <= 60; seed++) {
            SimDisk d = disk(seed, false);
            writeSynced(d, "tmp", "new");
            writeSynced(d, "old", "old");
            d.syncDirectory();
            d.rename("tmp", "name");
            d.delete("old");
            d.crash();
            outcomes.add(d.list());
        }
        // Operations survive in order: none, the rename alone, or both.
        assertEquals(Set.of(List.of("old", "tmp"), List.of("name", "old"), List.of("name")), outcomes);
    }

    @Test
    void aDirectorySyncMakesEveryOperationBeforeItDurable() throws Exception {
        SimDisk d = disk(3, false);
        writeSynced(d, "tmp", "value");
        d.rename("tmp", "name");
        d.syncDirectory();
        d.crash();
        assertEquals(List.of("name"), d.list());
        assertArrayEquals("value".getBytes(StandardCharsets.UTF_8), d.durableBytes("name"));
    }

    @Test
    void theBrokenVariantNeverMakesTheDirectoryDurable() throws Exception {
        SimDisk d = disk(3, true);
        writeSynced(d, "tmp", "value");
        d.rename("tmp", "name");
        d.syncDirectory();
        assertNull(d.durableBytes("name"));
        assertEquals(2, d.pendingDirectoryOps());
    }

    @Test
    void aCrashPointStopsTheProcessRightAfterItsKthOperation() throws Exception {
        SimDisk d = disk(5, false);
        int[] crashes = {0};
        d.crashAfterOps = 2; // the create, then the write: the sync never runs
        d.crashAfterOpsAction = () -> {
            crashes[0]++;
            d.crash();
        };
        VfsFile f = d.open("x", true);
        try {
            f.write(0, ByteBuffer.wrap(new byte[] {1, 2, 3}));
            org.junit.jupiter.api.Assertions.fail("the process should have died at its second operation");
        } catch (SimDisk.ProcessDied expected) {
            // the code that issued the write never goes on to sync it
        }
        assertEquals(1, crashes[0]);
        assertNull(d.durableBytes("x"), "neither the file's entry nor its data was made durable");
        assertEquals(0, d.crashAfterOps);
    }
}
