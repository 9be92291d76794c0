package dev.linden.sim;

import dev.linden.kvnode.wal.SegmentFile;
import dev.linden.kvnode.wal.Vfs;
import dev.linden.kvnode.wal.VfsFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * One node's simulated disk, the {@link Vfs} the real WAL runs on in the simulator.
 *
 * <p>Each file has a durable image and the writes issued since (volatile). An fsync completes after a
 * simulated latency and makes durable what was written before it started. A crash keeps the durable
 * image plus a random prefix of the volatile writes, the last of which may be torn (cut short, its tail
 * garbled). Faults: disk full (writes fail), read errors, a flipped bit in synced data, and, for the
 * broken-variant tests only, an fsync that lies or a directory sync that does nothing.
 *
 * <p>The directory is modelled as POSIX promises it, not as ext4 happens to behave: creating, renaming
 * and deleting a file change only the volatile directory until {@link #syncDirectory()}. A crash keeps
 * the durable directory plus a random prefix of the directory operations since (a journal commits them
 * in order), so a file created and fsynced but never entered durably in its directory vanishes, a
 * renamed file may reappear under its old name, and a deleted one may come back.
 */
final class SimDisk implements Vfs {
    private final SimLoop loop;
    private final int nodeId;
    private final SplittableRandom random;
    private final long fsyncMinNanos;
    private final long fsyncMaxNanos;
    /** The directory as the running process sees it. */
    private final TreeMap<String, FileData> files = new TreeMap<>();
    /** The directory as it would be found after a crash, and the operations since (in order). */
    private final TreeMap<String, FileData> durableDir = new TreeMap<>();

    private final List<DirOp> pendingDir = new ArrayList<>();
    /** Broken variant: {@link #syncDirectory()} does nothing (directory changes stay volatile). */
    final boolean dirSyncSkipped;

    long dirSyncs;
    /** Incremented on crash: syncs started before it never complete. */
    private long incarnation;

    boolean full;
    boolean readErrors;
    /** Added to every fsync while a stall fault holds (0: none), and the fsyncs it slowed (evidence). */
    long stallNanos;

    long stalledSyncs;
    /**
     * A crash point inside I/O: when set, the next fsync to begin runs it at a random moment before that
     * fsync completes (the process dies mid-sync: part of the unsynced data may reach the platter).
     */
    Runnable crashDuringNextSync;
    /**
     * A crash point between disk operations: when positive, counts down at each operation (write, truncate,
     * sync, create, rename, delete, directory sync), and the process dies right after the one that brings
     * it to zero, before the code that issued it goes on.
     */
    long crashAfterOps;
    /** Runs the crash when {@link #crashAfterOps} reaches zero (set with it). */
    Runnable crashAfterOpsAction;

    /** Thrown out of a disk operation to stop the process there: the node's code never runs past it. */
    /** A read refused by the injected read-error fault: a typed reason, not a message to match. */
    static final class ReadError extends IOException {
        ReadError(String message) {
            super(message);
        }
    }

    static final class ProcessDied extends Error {
        ProcessDied() {
            super("simulated crash inside I/O", null, false, false);
        }
    }

    private void diskOp() {
        if (crashAfterOps > 0 && --crashAfterOps == 0) {
            Runnable crash = crashAfterOpsAction;
            crashAfterOpsAction = null;
            crash.run();
            throw new ProcessDied();
        }
    }

    /** Writes refused because the disk was full (evidence for the nemesis). */
    long refusedWrites;
    /** Broken variant: every fsync reports success at once without making anything durable. */
    final boolean fsyncLies;

    long fsyncs;

    /** A growable byte image written in place (copying whole files per write would dominate the run). */
    private static final class Image {
        byte[] buf = new byte[256];
        int len;

        void write(int pos, byte[] data, int n) {
            int end = pos + n;
            if (end > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(end, buf.length * 2));
            }
            if (pos > len) {
                Arrays.fill(buf, len, pos, (byte) 0);
            }
            System.arraycopy(data, 0, buf, pos, n);
            len = Math.max(len, end);
        }

        void truncate(int size) {
            if (size > buf.length) {
                buf = Arrays.copyOf(buf, size);
            }
            if (size > len) {
                Arrays.fill(buf, len, size, (byte) 0);
            }
            len = size;
        }

        Image copy() {
            Image c = new Image();
            c.buf = Arrays.copyOf(buf, Math.max(256, len));
            c.len = len;
            return c;
        }
    }

    /** A directory operation not yet durable: a create (from null), delete (to null) or rename. */
    private record DirOp(String from, String to, FileData created) {
        void applyTo(TreeMap<String, FileData> dir) {
            if (created != null) {
                dir.put(to, created);
            } else if (to == null) {
                dir.remove(from);
            } else {
                FileData d = dir.remove(from);
                if (d != null) {
                    dir.put(to, d);
                }
            }
        }
    }

    private static final class FileData {
        Image durable = new Image();
        Image current = new Image();
        /** Volatile operations since the durable image: {position, data} writes, or {-size-1, null} truncations. */
        final List<Object[]> pending = new ArrayList<>();
    }

    /**
     * What of file {@code name} is durable (would be found after a crash: its entry in the durable directory,
     * its durable bytes), or null if no such file would be found (the monitors' view).
     */
    byte[] durableBytes(String name) {
        FileData d = durableDir.get(name);
        return d == null ? null : Arrays.copyOf(d.durable.buf, d.durable.len);
    }

    private static void applyOp(Image image, Object[] op, int bytes) {
        long pos = (Long) op[0];
        if (pos < 0) {
            image.truncate((int) (-pos - 1));
        } else {
            byte[] data = (byte[]) op[1];
            image.write((int) pos, data, Math.min(bytes, data.length));
        }
    }

    SimDisk(
            SimLoop loop,
            int nodeId,
            SplittableRandom random,
            long fsyncMinNanos,
            long fsyncMaxNanos,
            boolean fsyncLies,
            boolean dirSyncSkipped) {
        this.dirSyncSkipped = dirSyncSkipped;
        this.loop = loop;
        this.nodeId = nodeId;
        this.random = random;
        this.fsyncMinNanos = fsyncMinNanos;
        this.fsyncMaxNanos = fsyncMaxNanos;
        this.fsyncLies = fsyncLies;
    }

    @Override
    public List<String> list() throws IOException {
        checkRead();
        return new ArrayList<>(files.keySet());
    }

    private void checkRead() throws IOException {
        if (readErrors) {
            throw new ReadError("simulated read error on node " + nodeId);
        }
    }

    @Override
    public VfsFile open(String name, boolean create) throws IOException {
        checkRead();
        FileData d = files.get(name);
        if (d == null) {
            if (!create) {
                throw new IOException("no such file: " + name);
            }
            d = new FileData();
            files.put(name, d);
            pendingDir.add(new DirOp(null, name, d));
            diskOp();
        }
        return new SimFile(d, incarnation);
    }

    @Override
    public void rename(String from, String to) throws IOException {
        FileData d = files.remove(from);
        if (d == null) {
            throw new IOException("no such file: " + from);
        }
        files.put(to, d);
        pendingDir.add(new DirOp(from, to, null));
        diskOp();
    }

    @Override
    public void delete(String name) {
        if (files.remove(name) != null) {
            pendingDir.add(new DirOp(name, null, null));
            diskOp();
        }
    }

    @Override
    public void syncDirectory() {
        dirSyncs++;
        if (dirSyncSkipped) {
            return;
        }
        // Synchronous, as the production code's FileChannel.force on the directory is.
        for (DirOp op : pendingDir) {
            op.applyTo(durableDir);
        }
        pendingDir.clear();
        diskOp();
    }

    /** Directory operations not yet durable (for tests and evidence). */
    int pendingDirectoryOps() {
        return pendingDir.size();
    }

    /**
     * The process died: keep a random prefix of the unsynced writes, maybe tearing the last one. Returns
     * {unsynced writes and directory operations lost, writes torn} (evidence for the nemesis).
     */
    long[] crash() {
        incarnation++;
        // Crash points were armed for the process that just died, not for the next one.
        crashAfterOps = 0;
        crashAfterOpsAction = null;
        crashDuringNextSync = null;
        long lost = 0;
        long tornCount = 0;
        int keepDir = pendingDir.isEmpty() ? 0 : random.nextInt(pendingDir.size() + 1);
        lost += pendingDir.size() - keepDir;
        for (DirOp op : pendingDir.subList(0, keepDir)) {
            op.applyTo(durableDir);
        }
        pendingDir.clear();
        files.clear();
        files.putAll(durableDir);
        for (FileData d : files.values()) {
            int keep = d.pending.isEmpty() ? 0 : random.nextInt(d.pending.size() + 1);
            lost += d.pending.size() - keep;
            for (int i = 0; i < keep; i++) {
                Object[] op = d.pending.get(i);
                boolean write = (Long) op[0] >= 0;
                int bytes = write ? ((byte[]) op[1]).length : 0;
                if (write && i == keep - 1 && bytes > 1 && random.nextBoolean()) {
                    int torn = 1 + random.nextInt(bytes - 1); // torn: only a prefix reached the platter
                    tornCount++;
                    byte[] data = Arrays.copyOf((byte[]) op[1], torn);
                    if (random.nextBoolean()) {
                        data[torn - 1] ^= (byte) (1 + random.nextInt(255)); // and its last byte garbled
                    }
                    applyOp(d.durable, new Object[] {op[0], data}, torn);
                } else {
                    applyOp(d.durable, op, bytes);
                }
            }
            d.current = d.durable.copy();
            d.pending.clear();
        }
        return new long[] {lost, tornCount};
    }

    /** The disk is replaced by an empty one (or its files deleted) while the node is down. Returns the file count. */
    int wipe() {
        int n = files.size();
        incarnation++;
        files.clear();
        durableDir.clear();
        pendingDir.clear();
        return n;
    }

    // ------------------------------------------------------------------ damage while the node is down

    /** The files a process would find now (after a crash: the durable directory). */
    List<String> fileNames() {
        return new ArrayList<>(files.keySet());
    }

    /** A file's bytes as a process would read them now, or null if there is no such file. */
    byte[] bytesOf(String name) {
        FileData d = files.get(name);
        return d == null ? null : Arrays.copyOf(d.current.buf, d.current.len);
    }

    /**
     * Replaces a file's bytes, durably, while its node is down (the disk damaged behind the process's back,
     * as an editor or a failing device would). Only between a crash and a start: nothing may be pending.
     */
    void replaceWhileDown(String name, byte[] content) {
        FileData d = files.get(name);
        if (d == null || !d.pending.isEmpty() || !pendingDir.isEmpty()) {
            throw new IllegalStateException("node " + nodeId + ": " + name + " cannot be replaced now (missing, or "
                    + "writes pending: the node is not down)");
        }
        incarnation++;
        d.durable = new Image();
        d.durable.write(0, content, content.length);
        d.current = d.durable.copy();
    }

    /** Deletes a file, durably, while its node is down. Returns its size in bytes, or -1 if it did not exist. */
    long deleteWhileDown(String name) {
        if (!pendingDir.isEmpty()) {
            throw new IllegalStateException("node " + nodeId + ": directory operations pending: the node is not down");
        }
        FileData d = files.remove(name);
        durableDir.remove(name);
        incarnation++;
        return d == null ? -1 : d.current.len;
    }

    /** Flips one bit of synced data in a WAL segment (past its header). Returns a description, or null. */
    String flipBit() {
        // Only in synced data followed by at least 1 KiB more: a bad last record is indistinguishable from a
        // torn write and is (rightly) treated as one, so the model corrupts records that have successors.
        List<String> segments = new ArrayList<>();
        // Segments are preallocated with zeros: aim at the records, before the unwritten rest.
        for (var e : files.entrySet()) {
            if (e.getKey().endsWith(".seg") && dataEnd(e.getValue().durable) > 1100) {
                segments.add(e.getKey());
            }
        }
        if (segments.isEmpty()) {
            return null;
        }
        String name = segments.get(random.nextInt(segments.size()));
        FileData d = files.get(name);
        int header = SegmentFile.HEADER_BYTES;
        int pos = header + random.nextInt(dataEnd(d.durable) - 1024 - header);
        int bit = 1 << random.nextInt(8);
        d.durable.buf[pos] ^= (byte) bit;
        if (pos < d.current.len) {
            d.current.buf[pos] ^= (byte) bit;
        }
        return name + " byte " + pos;
    }

    /** One past the last non-zero byte. */
    private static int dataEnd(Image image) {
        int end = image.len;
        while (end > 0 && image.buf[end - 1] == 0) {
            end--;
        }
        return end;
    }

    private final class SimFile implements VfsFile {
        private final FileData d;
        private final long openedIn;

        SimFile(FileData d, long openedIn) {
            this.d = d;
            this.openedIn = openedIn;
        }

        private void live() throws IOException {
            if (openedIn != incarnation) {
                throw new IOException("file handle from before a crash");
            }
        }

        @Override
        public long size() throws IOException {
            live();
            return d.current.len;
        }

        @Override
        public int read(long position, ByteBuffer dst) throws IOException {
            live();
            checkRead();
            if (position >= d.current.len) {
                return -1;
            }
            int n = (int) Math.min(dst.remaining(), d.current.len - position);
            dst.put(d.current.buf, (int) position, n);
            return n;
        }

        @Override
        public void write(long position, ByteBuffer src) throws IOException {
            live();
            if (full) {
                refusedWrites++;
                throw new IOException("No space left on device (simulated, node " + nodeId + ")");
            }
            byte[] data = new byte[src.remaining()];
            src.get(data);
            d.current.write((int) position, data, data.length);
            d.pending.add(new Object[] {position, data});
            diskOp();
        }

        @Override
        public void truncate(long size) throws IOException {
            live();
            d.current.truncate((int) size);
            d.pending.add(new Object[] {-size - 1, null});
            diskOp();
        }

        @Override
        public void sync(Runnable onDurable, Consumer<IOException> onFailure) {
            diskOp(); // a crash here: the sync was never issued
            fsyncs++;
            int covered = d.pending.size();
            if (fsyncLies) {
                onDurable.run();
                return;
            }
            long latency = fsyncMinNanos + (long) (random.nextDouble() * (fsyncMaxNanos - fsyncMinNanos));
            if (random.nextInt(50) == 0) {
                latency *= 10; // an occasional slow fsync
            }
            if (stallNanos > 0) {
                latency += stallNanos;
                stalledSyncs++;
            }
            long inc = incarnation;
            if (crashDuringNextSync != null) {
                Runnable crash = crashDuringNextSync;
                crashDuringNextSync = null;
                loop.at((long) (random.nextDouble() * latency), SimLoop.DISK, nodeId, () -> {
                    if (inc == incarnation) {
                        crash.run();
                    }
                });
            }
            loop.at(latency, SimLoop.DISK, nodeId, () -> {
                if (inc != incarnation) {
                    return; // crashed before the fsync completed
                }
                makeDurable(covered);
                onDurable.run();
            });
        }

        private void makeDurable(int covered) {
            // What was written before the sync started becomes durable; later writes stay volatile.
            int n = Math.min(covered, d.pending.size());
            for (int i = 0; i < n; i++) {
                Object[] op = d.pending.get(i);
                applyOp(d.durable, op, (Long) op[0] < 0 ? 0 : ((byte[]) op[1]).length);
            }
            d.pending.subList(0, n).clear();
        }

        @Override
        public void syncNow() throws IOException {
            live();
            if (fsyncLies) {
                return; // a disk that lies lies to every sync: the WAL's, and the snapshot's and hard state's
            }
            makeDurable(d.pending.size());
            diskOp();
        }

        @Override
        public void close() {
            // nothing to release
        }
    }
}
