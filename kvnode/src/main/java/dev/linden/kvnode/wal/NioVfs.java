package dev.linden.kvnode.wal;

import dev.linden.kvnode.stats.LatencyTimes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * {@link Vfs} on real files. {@link VfsFile#sync} runs {@code FileChannel.force} on {@code syncExecutor}
 * (a dedicated thread), so the WAL writer can keep writing while the previous fsync is in flight.
 */
public final class NioVfs implements Vfs {
    private final Path dir;
    private final Executor syncExecutor;
    /** The WAL's fsyncs (the overlapped ones, on the sync executor): how long each took. */
    private final LatencyTimes fsyncs = new LatencyTimes("fsync");

    private final boolean force;
    /**
     * TEST-ONLY: the file in a node's data dir (the WAL directory's parent) by which a harness arms a power cut in
     * the node's next fsync, when its writes are held until synced ({@link #holdUnsyncedWrites}).
     */
    public static final String CRASH_MARKER = "crash-in-next-fsync";
    /** TEST-ONLY ({@link #holdUnsyncedWrites}): 0 real files; 1 writes held until a sync; 2 held, and syncs lie. */
    private volatile int powerCut;
    /** TEST-ONLY: run just before an aimed power cut halts the process ({@link #holdUnsyncedWrites}). */
    private volatile Runnable beforePowerCut = () -> {};

    public NioVfs(Path dir, Executor syncExecutor) throws IOException {
        this(dir, syncExecutor, true);
    }

    /** @param force false skips fsync entirely (benchmarks of the non-durable mode only) */
    public NioVfs(Path dir, Executor syncExecutor, boolean force) throws IOException {
        this.dir = Files.createDirectories(dir);
        this.syncExecutor = syncExecutor;
        this.force = force;
    }

    @Override
    public List<String> list() throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.forEach(p -> out.add(p.getFileName().toString()));
        }
        return out;
    }

    /**
     * TEST-ONLY: from now on, every file opened keeps its writes in this process until a sync covers them
     * ({@link PowerCutFile}), so a process kill loses them as a power cut would; {@code syncsLie}: syncs report
     * durability and provide none (the {@code fsync-lies} canary). A harness may then aim a power cut into the next
     * fsync ({@link #CRASH_MARKER} in the data dir). Never on in a real deployment.
     */
    public void holdUnsyncedWrites(boolean syncsLie) {
        powerCut = syncsLie ? 2 : 1;
    }

    /**
     * TEST-ONLY: {@code task} runs just before an aimed power cut halts the process: the node's event stream is
     * written out, as a monitor watching from outside would have seen every event (the simulator's monitors see
     * each one as it happens); the node's own files get nothing.
     */
    public void beforePowerCut(Runnable task) {
        beforePowerCut = task;
    }

    /** How long the WAL's fsyncs took, for the node's line at shutdown. */
    public LatencyTimes fsyncTimes() {
        return fsyncs;
    }

    @Override
    public VfsFile open(String name, boolean create) throws IOException {
        FileChannel ch = create
                ? FileChannel.open(
                        dir.resolve(name), StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)
                : FileChannel.open(dir.resolve(name), StandardOpenOption.READ, StandardOpenOption.WRITE);
        return powerCut == 0
                ? new NioFile(ch)
                : new PowerCutFile(
                        new NioFile(ch),
                        syncExecutor,
                        powerCut == 2,
                        dir.getParent().resolve(CRASH_MARKER),
                        () -> {
                            beforePowerCut.run();
                            PowerCutFile.HALT.run();
                        });
    }

    @Override
    public void rename(String from, String to) throws IOException {
        try {
            Files.move(
                    dir.resolve(from),
                    dir.resolve(to),
                    StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("atomic rename not supported in " + dir, e);
        }
    }

    @Override
    public void delete(String name) throws IOException {
        Files.deleteIfExists(dir.resolve(name));
    }

    @Override
    public void syncDirectory() throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some file systems refuse to open directories; there the rename is as durable as it gets.
            if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("win")) {
                throw e;
            }
        }
    }

    private final class NioFile implements VfsFile {
        private final FileChannel ch;

        NioFile(FileChannel ch) {
            this.ch = ch;
        }

        @Override
        public long size() throws IOException {
            return ch.size();
        }

        @Override
        public int read(long position, ByteBuffer dst) throws IOException {
            return ch.read(dst, position);
        }

        @Override
        public void write(long position, ByteBuffer src) throws IOException {
            long before = ch.size();
            long pos = position;
            try {
                while (src.hasRemaining()) {
                    pos += ch.write(src, pos);
                }
            } catch (IOException e) {
                // A full disk takes part of a write, then refuses the rest. Undo only what grew the file: cutting
                // it back to the write's position would shorten a fixed-size WAL segment, which the next start
                // rightly reads as lost data. What the write left inside the file is a torn write.
                try {
                    if (ch.size() > before) {
                        ch.truncate(before);
                    }
                } catch (IOException undo) {
                    e.addSuppressed(undo);
                }
                throw e;
            }
        }

        @Override
        public void truncate(long size) throws IOException {
            ch.truncate(size);
        }

        @Override
        public void sync(Runnable onDurable, Consumer<IOException> onFailure) {
            syncExecutor.execute(() -> {
                try {
                    if (force) {
                        long start = System.nanoTime();
                        ch.force(false);
                        fsyncs.record(System.nanoTime() - start);
                    }
                } catch (IOException e) {
                    onFailure.accept(e);
                    return;
                }
                onDurable.run();
            });
        }

        @Override
        public void syncNow() throws IOException {
            if (force) {
                ch.force(false);
            }
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }
}
