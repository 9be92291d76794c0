package dev.linden.kvnode.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * TEST-ONLY: a {@link VfsFile} whose writes and truncations stay in this process until a sync covers them, so a
 * process killed with SIGKILL loses them as a machine that loses power would. On a real file, an unsynced write is
 * in the page cache the moment write(2) returns and outlives the process, so a kill never punishes a node that
 * acknowledges before its fsync; with this layer it does (Jepsen's LazyFS does the same below the file system). The
 * node under test reads its own unsynced writes as before: reads and the size see them.
 *
 * <p>A sync takes the operations held so far as its batch and, on the fsync thread, hands them in order to the real
 * file and forces it: until that fsync completes they are in no page cache, so a kill during it loses them, as a
 * power cut during an fsync may (Linux makes no promise for data whose fsync has not returned). What is issued after
 * the sync began stays held for the next one. Held bytes are bounded ({@link #MAX_HELD_BYTES}): past it they go to
 * the real file unsynced, as an operating system writes dirty pages back under memory pressure (keeping more than
 * was synced is always a crash's right). A lying disk ({@code syncsLie}, the {@code fsync-lies} canary) reports
 * every sync durable and hands nothing over, so what it acknowledged is lost at the next kill unless the bound
 * pushed it out first. Directory operations (create, rename, delete) are not held: they pass through the {@link Vfs}
 * at once.
 *
 * <p>A harness aims a power cut into an fsync by creating {@link NioVfs#CRASH_MARKER} in the node's data dir: the
 * next sync to begin removes it, hands nothing over, never completes, and the process halts {@link
 * #CRASH_DELAY_MILLIS} later (a slow fsync the power cut interrupted), so what the node said or did meanwhile,
 * trusting writes it had not made durable, is on record and their loss is found when it starts again.
 */
final class PowerCutFile implements VfsFile {
    /** Held bytes past which the held operations go to the real file (unsynced). */
    static final long MAX_HELD_BYTES = 8L << 20;
    /** How long an interrupted sync runs before the process halts. */
    static final long CRASH_DELAY_MILLIS = 25;

    /** A held write ({@code data} != null) or truncation (to {@code position}). */
    private record Op(long position, byte[] data) {}

    private final VfsFile real;
    private final boolean syncsLie;
    /** {@link NioVfs#CRASH_MARKER}'s path, or null: no crash can be armed. */
    private final Path crashMarker;
    /** Ends the process, {@link #CRASH_DELAY_MILLIS} into an armed sync ({@link #HALT} but in tests). */
    private final Runnable powerCut;

    /** The power cut: the process ends at once, without shutdown hooks, as a machine losing power does. */
    static final Runnable HALT = () -> {
        System.err.println("linden node: TEST-ONLY power cut in an fsync (" + NioVfs.CRASH_MARKER + ")");
        Runtime.getRuntime().halt(137);
    };

    private final List<Op> held = new ArrayList<>();
    /** Batches of syncs begun and not yet handed to the real file, oldest first. */
    private final ArrayDeque<List<Op>> syncing = new ArrayDeque<>();
    /** Where a sync's batch is handed over and forced: the node's fsync thread. */
    private final Executor syncExecutor;

    private long heldBytes;
    /** The size the node sees: the real file's after every held operation. */
    private long size;

    PowerCutFile(VfsFile real, Executor syncExecutor, boolean syncsLie, Path crashMarker, Runnable powerCut)
            throws IOException {
        this.real = real;
        this.syncExecutor = syncExecutor;
        this.syncsLie = syncsLie;
        this.crashMarker = crashMarker;
        this.powerCut = powerCut;
        this.size = real.size();
    }

    @Override
    public synchronized long size() {
        return size;
    }

    @Override
    public synchronized int read(long position, ByteBuffer dst) throws IOException {
        if (position < 0) {
            throw new IllegalArgumentException("negative position " + position);
        }
        if (!dst.hasRemaining()) {
            return 0;
        }
        if (position >= size) {
            return -1;
        }
        int n = (int) Math.min(dst.remaining(), size - position);
        byte[] out = new byte[n];
        ByteBuffer fromReal = ByteBuffer.wrap(out);
        while (fromReal.hasRemaining()) {
            int r = real.read(position + fromReal.position(), fromReal);
            if (r <= 0) {
                break; // past the real file's end: zeros, unless a held write covers them
            }
        }
        long end = position + n;
        List<Op> pending = new ArrayList<>();
        syncing.forEach(pending::addAll);
        pending.addAll(held);
        for (Op op : pending) {
            if (op.data() == null) {
                if (op.position() < end) {
                    int from = (int) Math.max(0, op.position() - position);
                    Arrays.fill(out, from, n, (byte) 0); // cut, then maybe grown again: the gap reads as zeros
                }
                continue;
            }
            long lo = Math.max(position, op.position());
            long hi = Math.min(end, op.position() + op.data().length);
            if (lo < hi) {
                System.arraycopy(op.data(), (int) (lo - op.position()), out, (int) (lo - position), (int) (hi - lo));
            }
        }
        dst.put(out);
        return n;
    }

    @Override
    public synchronized void write(long position, ByteBuffer src) throws IOException {
        if (position < 0) {
            throw new IllegalArgumentException("negative position " + position);
        }
        byte[] data = new byte[src.remaining()];
        src.get(data);
        held.add(new Op(position, data));
        heldBytes += data.length;
        size = Math.max(size, position + data.length);
        if (heldBytes > MAX_HELD_BYTES) {
            handOver();
        }
    }

    @Override
    public synchronized void truncate(long newSize) throws IOException {
        if (newSize < 0) {
            throw new IllegalArgumentException("negative size " + newSize);
        }
        if (newSize >= size) {
            return; // a truncation never grows a file
        }
        held.add(new Op(newSize, null));
        size = newSize;
    }

    @Override
    public void sync(Runnable onDurable, Consumer<IOException> onFailure) {
        if (crashArmed()) {
            Thread halt = new Thread(this::cutAfterDelay, "power-cut");
            halt.setDaemon(true);
            halt.start();
            return; // interrupted by the power cut: it never completes
        }
        if (syncsLie) {
            onDurable.run();
            return;
        }
        List<Op> batch;
        synchronized (this) {
            batch = new ArrayList<>(held);
            held.clear();
            heldBytes = 0;
            syncing.addLast(batch);
        }
        syncExecutor.execute(() -> {
            try {
                synchronized (this) {
                    handOverThrough(batch);
                }
            } catch (IOException e) {
                onFailure.accept(e);
                return;
            }
            real.sync(onDurable, onFailure);
        });
    }

    @Override
    public void syncNow() throws IOException {
        if (crashArmed()) {
            cutAfterDelay();
            throw new IOException("power cut in this fsync");
        }
        if (syncsLie) {
            return;
        }
        synchronized (this) {
            handOver();
        }
        real.syncNow();
    }

    /** Closing loses nothing held: a closed file's writes are in the page cache, as on a real file. */
    @Override
    public synchronized void close() throws IOException {
        try {
            handOver();
        } finally {
            real.close();
        }
    }

    /** Whether a harness armed a crash in this sync (the marker is taken away, so the next start runs on). */
    private boolean crashArmed() {
        if (crashMarker == null) {
            return false;
        }
        try {
            return Files.deleteIfExists(crashMarker);
        } catch (IOException e) {
            return false;
        }
    }

    private void cutAfterDelay() {
        try {
            Thread.sleep(CRASH_DELAY_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        powerCut.run();
    }

    /** Gives the batches of syncs begun through {@code batch} to the real file, in order (nothing if done already). */
    private void handOverThrough(List<Op> batch) throws IOException {
        boolean pending = false;
        for (List<Op> b : syncing) {
            pending |= b == batch;
        }
        while (pending && !syncing.isEmpty()) {
            List<Op> b = syncing.pollFirst();
            apply(b);
            pending = b != batch;
        }
    }

    /** Gives every operation not yet handed over to the real file, in order (unsynced). */
    private void handOver() throws IOException {
        while (!syncing.isEmpty()) {
            apply(syncing.pollFirst());
        }
        List<Op> ops = new ArrayList<>(held);
        held.clear();
        heldBytes = 0;
        apply(ops);
        if (real.size() != size) {
            throw new IllegalStateException("power-cut file: the real file is " + real.size()
                    + " bytes after every held write, expected " + size);
        }
    }

    private void apply(List<Op> ops) throws IOException {
        if (ops.isEmpty()) {
            return;
        }
        for (int i = 0; i < ops.size(); i++) {
            Op op = ops.get(i);
            try {
                if (op.data() == null) {
                    real.truncate(op.position());
                } else {
                    real.write(op.position(), ByteBuffer.wrap(op.data()));
                }
            } catch (IOException e) {
                // The rest is lost, as a failed write loses it (the WAL refuses everything after a failure); the
                // node sees the real file.
                syncing.clear();
                held.clear();
                heldBytes = 0;
                size = real.size();
                throw e;
            }
        }
    }
}
