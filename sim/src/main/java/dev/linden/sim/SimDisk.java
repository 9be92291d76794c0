package dev.linden.sim;

import dev.linden.kvnode.wal.SegmentFile;
import dev.linden.kvnode.wal.Vfs;
import dev.linden.kvnode.wal.VfsFile;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;

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
    final SimLoop loop;
    final int nodeId;
    final SplittableRandom random;
    final long fsyncMinNanos;
    final long fsyncMaxNanos;
    /** The directory as the running process sees it. */
    private final TreeMap<String, SimFileData> files = new TreeMap<>();
    /** The directory as it would be found after a crash, and the operations since (in order). */
    private final TreeMap<String, SimFileData> durableDir = new TreeMap<>();

    private final List<SimDirOp> pendingDir = new ArrayList<>();
    /** Broken variant: {@link #syncDirectory()} does nothing (directory changes stay volatile). */
    final boolean dirSyncSkipped;

    long dirSyncs;
    /** Incremented on crash: syncs started before it never complete. */
    long incarnation;

    boolean full;
    /**
     * Whether this disk ever lost or damaged data behind its node's back (wiped, cut, files deleted, a bit
     * flipped) or is a broken variant that loses it (fsync or directory sync that lies). A node whose recovery
     * reports lost data on a disk without it has made a false finding (see {@link SimLossFindings}).
     */
    boolean lossInjected;

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

    /** A read refused by the injected read-error fault: a typed reason, not a message to match. */
    static final class ReadError extends IOException {
        ReadError(String message) {
            super(message);
        }
    }

    /** Thrown out of a disk operation to stop the process there: the node's code never runs past it. */
    static final class ProcessDied extends Error {
        ProcessDied() {
            super("simulated crash inside I/O", null, false, false);
        }
    }

    void diskOp() {
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

    /**
     * What of file {@code name} is durable (would be found after a crash: its entry in the durable directory,
     * its durable bytes), or null if no such file would be found (the monitors' view).
     */
    byte[] durableBytes(String name) {
        SimFileData d = durableDir.get(name);
        return d == null ? null : Arrays.copyOf(d.durable.buf, d.durable.len);
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
        this.lossInjected = fsyncLies || dirSyncSkipped;
    }

    @Override
    public List<String> list() throws IOException {
        checkRead();
        return new ArrayList<>(files.keySet());
    }

    void checkRead() throws IOException {
        if (readErrors) {
            throw new ReadError("simulated read error on node " + nodeId);
        }
    }

    @Override
    public VfsFile open(String name, boolean create) throws IOException {
        checkRead();
        SimFileData d = files.get(name);
        if (d == null) {
            if (!create) {
                throw new IOException("no such file: " + name);
            }
            d = new SimFileData();
            files.put(name, d);
            pendingDir.add(new SimDirOp(null, name, d));
            diskOp();
        }
        return new SimFile(this, d, incarnation);
    }

    @Override
    public void rename(String from, String to) throws IOException {
        SimFileData d = files.remove(from);
        if (d == null) {
            throw new IOException("no such file: " + from);
        }
        files.put(to, d);
        pendingDir.add(new SimDirOp(from, to, null));
        diskOp();
    }

    @Override
    public void delete(String name) {
        if (files.remove(name) != null) {
            pendingDir.add(new SimDirOp(name, null, null));
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
        for (SimDirOp op : pendingDir) {
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
        for (SimDirOp op : pendingDir.subList(0, keepDir)) {
            op.applyTo(durableDir);
        }
        pendingDir.clear();
        files.clear();
        files.putAll(durableDir);
        for (SimFileData d : files.values()) {
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
                    d.durable.apply(new Object[] {op[0], data}, torn);
                } else {
                    d.durable.apply(op, bytes);
                }
            }
            d.current = d.durable.copy();
            d.pending.clear();
        }
        return new long[] {lost, tornCount};
    }

    /** The disk is replaced by an empty one (or its files deleted) while the node is down. Returns the file count. */
    int wipe() {
        lossInjected = true;
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
        SimFileData d = files.get(name);
        return d == null ? null : Arrays.copyOf(d.current.buf, d.current.len);
    }

    /**
     * Replaces a file's bytes, durably, while its node is down (the disk damaged behind the process's back,
     * as an editor or a failing device would). Only between a crash and a start: nothing may be pending.
     */
    void replaceWhileDown(String name, byte[] content) {
        SimFileData d = files.get(name);
        if (d == null || !d.pending.isEmpty() || !pendingDir.isEmpty()) {
            throw new IllegalStateException("node " + nodeId + ": " + name + " cannot be replaced now (missing, or "
                    + "writes pending: the node is not down)");
        }
        incarnation++;
        lossInjected = true;
        d.durable = new SimFileImage();
        d.durable.write(0, content, content.length);
        d.current = d.durable.copy();
    }

    /** Deletes a file, durably, while its node is down. Returns its size in bytes, or -1 if it did not exist. */
    long deleteWhileDown(String name) {
        if (!pendingDir.isEmpty()) {
            throw new IllegalStateException("node " + nodeId + ": directory operations pending: the node is not down");
        }
        SimFileData d = files.remove(name);
        durableDir.remove(name);
        incarnation++;
        lossInjected = true;
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
        SimFileData d = files.get(name);
        lossInjected = true;
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
    private static int dataEnd(SimFileImage image) {
        int end = image.len;
        while (end > 0 && image.buf[end - 1] == 0) {
            end--;
        }
        return end;
    }
}
