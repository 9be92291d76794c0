package dev.linden.sim;

import dev.linden.kvnode.wal.VfsFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.function.Consumer;

/** An open file of a {@link SimDisk}: writes are volatile until a sync, which completes after a drawn latency. */
final class SimFile implements VfsFile {
    private final SimDisk disk;
    private final SimFileData d;
    private final long openedIn;

    SimFile(SimDisk disk, SimFileData d, long openedIn) {
        this.disk = disk;
        this.d = d;
        this.openedIn = openedIn;
    }

    private void live() throws IOException {
        if (openedIn != disk.incarnation) {
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
        disk.checkRead();
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
        if (disk.full) {
            disk.refusedWrites++;
            takePartOf(position, src);
            throw new IOException("No space left on device (simulated, node " + disk.nodeId + ")");
        }
        byte[] data = new byte[src.remaining()];
        src.get(data);
        d.current.write((int) position, data, data.length);
        d.pending.add(new Object[] {position, data});
        disk.diskOp();
    }

    /**
     * A full disk takes a drawn prefix of a write before it refuses the rest (a short write, then ENOSPC), as
     * file systems do; the file keeps its size, as {@link VfsFile#write} promises, so only bytes inside it.
     */
    private void takePartOf(long position, ByteBuffer src) {
        long room = Math.min(src.remaining(), d.current.len - position);
        int taken = room <= 0 ? 0 : disk.random.nextInt((int) room + 1);
        if (taken > 0) {
            byte[] part = new byte[taken];
            src.get(part);
            d.current.write((int) position, part, taken);
            d.pending.add(new Object[] {position, part});
            disk.diskOp();
        }
    }

    @Override
    public void truncate(long size) throws IOException {
        live();
        d.current.truncate((int) size);
        d.pending.add(new Object[] {-size - 1, null});
        disk.diskOp();
    }

    @Override
    public void sync(Runnable onDurable, Consumer<IOException> onFailure) {
        disk.diskOp(); // a crash here: the sync was never issued
        disk.fsyncs++;
        int covered = d.pending.size();
        if (disk.fsyncLies) {
            onDurable.run();
            return;
        }
        long latency =
                disk.fsyncMinNanos + (long) (disk.random.nextDouble() * (disk.fsyncMaxNanos - disk.fsyncMinNanos));
        if (disk.random.nextInt(50) == 0) {
            latency *= 10; // an occasional slow fsync
        }
        if (disk.stallNanos > 0) {
            latency += disk.stallNanos;
            disk.stalledSyncs++;
        }
        long inc = disk.incarnation;
        if (disk.crashDuringNextSync != null) {
            Runnable crash = disk.crashDuringNextSync;
            disk.crashDuringNextSync = null;
            disk.loop.at((long) (disk.random.nextDouble() * latency), SimLoop.DISK, disk.nodeId, () -> {
                if (inc == disk.incarnation) {
                    crash.run();
                }
            });
        }
        disk.loop.at(latency, SimLoop.DISK, disk.nodeId, () -> {
            if (inc != disk.incarnation) {
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
            d.durable.apply(op, (Long) op[0] < 0 ? 0 : ((byte[]) op[1]).length);
        }
        d.pending.subList(0, n).clear();
    }

    @Override
    public void syncNow() throws IOException {
        live();
        if (disk.fsyncLies) {
            return; // a disk that lies lies to every sync: the WAL's, and the snapshot's and hard state's
        }
        makeDurable(d.pending.size());
        disk.diskOp();
    }

    @Override
    public void close() {
        // nothing to release
    }
}
