package dev.linden.kvnode.wal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PowerCutFileTest {
    @TempDir
    Path dir;

    private NioVfs held(boolean syncsLie) throws IOException {
        NioVfs vfs = new NioVfs(dir, Runnable::run);
        vfs.holdUnsyncedWrites(syncsLie);
        return vfs;
    }

    private static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII));
    }

    private static String read(VfsFile f, long position, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        int r = f.read(position, b);
        return r < 0 ? "<eof>" : new String(b.array(), 0, r, StandardCharsets.US_ASCII);
    }

    @Test
    void anUnsyncedWriteIsSeenByTheNodeButNotOnDiskUntilASyncCoversIt() throws IOException {
        try (VfsFile f = held(false).open("a", true)) {
            f.write(0, bytes("hello"));
            assertEquals(5, f.size());
            assertEquals("hello", read(f, 0, 5));
            assertEquals(0, Files.size(dir.resolve("a")), "held in the process: a kill now loses it");
            AtomicInteger durable = new AtomicInteger();
            f.sync(durable::incrementAndGet, e -> {
                throw new AssertionError(e);
            });
            assertEquals(1, durable.get());
            assertEquals("hello", Files.readString(dir.resolve("a")));
            f.write(5, bytes(" world"));
            assertEquals("hello", Files.readString(dir.resolve("a")), "a write after the sync is held again");
            f.syncNow();
            assertEquals("hello world", Files.readString(dir.resolve("a")));
        }
    }

    @Test
    void aTruncationThenAWriteBeyondItReadsZerosInTheGap() throws IOException {
        try (VfsFile f = held(false).open("b", true)) {
            f.write(0, bytes("abcdef"));
            f.syncNow();
            f.truncate(2);
            f.write(4, bytes("XY"));
            assertEquals(6, f.size());
            assertEquals("ab\0\0XY", read(f, 0, 10));
            assertEquals("abcdef", Files.readString(dir.resolve("b")), "the truncation is held too");
            f.syncNow();
            assertEquals("ab\0\0XY", Files.readString(dir.resolve("b")));
        }
    }

    @Test
    void aLyingDiskReportsEverySyncDurableAndKeepsTheWritesInTheProcess() throws IOException {
        VfsFile f = held(true).open("c", true);
        f.write(0, bytes("acknowledged"));
        AtomicInteger durable = new AtomicInteger();
        f.sync(durable::incrementAndGet, e -> {
            throw new AssertionError(e);
        });
        f.syncNow();
        assertEquals(1, durable.get());
        assertEquals(0, Files.size(dir.resolve("c")), "nothing reached the file: a kill loses it all");
        f.close();
        assertEquals("acknowledged", Files.readString(dir.resolve("c")), "a closed file's writes reach it");
    }

    @Test
    void heldBytesAreBoundedAndPastTheBoundGoToTheFileUnsynced() throws IOException {
        try (VfsFile f = held(false).open("d", true)) {
            byte[] chunk = new byte[1 << 20];
            long written = 0;
            while (written <= PowerCutFile.MAX_HELD_BYTES) {
                f.write(written, ByteBuffer.wrap(chunk));
                written += chunk.length;
            }
            assertEquals(written, Files.size(dir.resolve("d")));
            assertEquals(written, f.size());
        }
    }

    /** Random writes, truncations and syncs: the node reads what a plain file would hold; a sync makes both equal. */
    @Test
    void readsAndSizesMatchAPlainFileUnderRandomOperations() throws IOException {
        NioVfs plain = new NioVfs(dir.resolve("plain"), Runnable::run);
        NioVfs held = new NioVfs(dir.resolve("held"), Runnable::run);
        List<Runnable> fsyncThread = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(31);
        try (VfsFile p = plain.open("f", true);
                VfsFile h = new PowerCutFile(held.open("f", true), fsyncThread::add, false, null, () -> {})) {
            for (int step = 0; step < 3_000; step++) {
                int kind = r.nextInt(10);
                if (kind < 6) {
                    byte[] data = new byte[1 + r.nextInt(300)];
                    r.nextBytes(data);
                    long pos = r.nextInt(4_000);
                    p.write(pos, ByteBuffer.wrap(data));
                    h.write(pos, ByteBuffer.wrap(data));
                } else if (kind < 8) {
                    long size = r.nextInt(4_000);
                    p.truncate(size);
                    h.truncate(size);
                } else if (kind == 9) {
                    h.sync(() -> {}, e -> {
                        throw new AssertionError(e);
                    });
                    while (!fsyncThread.isEmpty() && r.nextBoolean()) {
                        fsyncThread.remove(0).run(); // some syncs in flight complete, in order
                    }
                } else {
                    fsyncThread.forEach(Runnable::run);
                    fsyncThread.clear();
                    h.syncNow();
                    assertArrayEquals(
                            Files.readAllBytes(dir.resolve("plain/f")),
                            Files.readAllBytes(dir.resolve("held/f")),
                            "after a sync, at step " + step);
                }
                assertEquals(p.size(), h.size(), "size at step " + step);
                long pos = r.nextInt(4_200);
                int n = 1 + r.nextInt(500);
                assertEquals(read(p, pos, n), read(h, pos, n), "read of " + n + " at " + pos + ", step " + step);
            }
        }
        assertTrue(Files.exists(dir.resolve("held/f")));
    }

    @Test
    void anArmedSyncNeverCompletesAndCutsThePowerTheMarkerGone() throws Exception {
        Path marker = dir.resolve(NioVfs.CRASH_MARKER);
        CountDownLatch cut = new CountDownLatch(1);
        Files.createDirectories(dir.resolve("wal"));
        NioVfs plain = new NioVfs(dir.resolve("wal"), Runnable::run);
        try (VfsFile f = new PowerCutFile(plain.open("seg", true), Runnable::run, false, marker, cut::countDown)) {
            f.write(0, bytes("acknowledged too early"));
            Files.writeString(marker, "armed");
            AtomicInteger ended = new AtomicInteger();
            f.sync(ended::incrementAndGet, e -> ended.incrementAndGet());
            assertTrue(cut.await(5, TimeUnit.SECONDS), "the power was cut");
            assertEquals(0, ended.get(), "an interrupted sync never completes");
            assertTrue(!Files.exists(marker), "the marker is taken, so the next start runs on");
            assertEquals(0, Files.size(dir.resolve("wal/seg")), "what the sync was to make durable is lost");
        }
    }

    /** What an fsync in flight covers reaches no page cache before it completes: a kill during it loses it. */
    @Test
    void writesOfAnFsyncStillInFlightAreNotInTheFileAndLaterWritesWaitForTheNext() throws IOException {
        List<Runnable> fsyncThread = new ArrayList<>();
        NioVfs plain = new NioVfs(dir, Runnable::run);
        try (VfsFile f = new PowerCutFile(plain.open("e", true), fsyncThread::add, false, null, () -> {})) {
            f.write(0, bytes("first"));
            AtomicInteger durable = new AtomicInteger();
            f.sync(durable::incrementAndGet, e -> {
                throw new AssertionError(e);
            });
            f.write(5, bytes("second"));
            assertEquals("firstsecond", read(f, 0, 20), "the node reads all it wrote");
            assertEquals(0, Files.size(dir.resolve("e")), "in flight: a kill now loses both");
            fsyncThread.remove(0).run();
            assertEquals(1, durable.get());
            assertEquals("first", Files.readString(dir.resolve("e")), "the second waits for its own sync");
            assertEquals("firstsecond", read(f, 0, 20));
        }
        assertEquals("firstsecond", Files.readString(dir.resolve("e")), "closing hands the rest over");
    }
}
