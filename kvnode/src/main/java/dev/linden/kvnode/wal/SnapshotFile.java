package dev.linden.kvnode.wal;

import dev.linden.kvnode.raft.Snapshot;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/**
 * A snapshot file, {@code snap-<index>.snap}, written to {@code <name>.tmp}, forced, renamed and the
 * directory forced; a {@code .tmp} left by a crash is an unfinished write.
 * <pre>
 *   0       4               12              20      24                  24+len  +4
 *   +-------+---------------+---------------+-------+-------------------+-------+
 *   | magic | index         | term          | len   | state (len bytes) | crc32c|   crc32c covers all before it
 *   +-------+---------------+---------------+-------+-------------------+-------+
 * </pre>
 */
final class SnapshotFile {
    private static final Pattern NAME = Pattern.compile("snap-(\\d{20})\\.snap(\\.tmp)?");
    private static final int MAGIC = 0x4C4E534E; // "LNSN"
    static final int HEADER_BYTES = 4 + 8 + 8 + 4;

    private SnapshotFile() {}

    static String name(long index) {
        return String.format("snap-%020d.snap", index);
    }

    /** The index of a complete snapshot file's name; -1 for any other name. */
    static long indexOf(String fileName) {
        Matcher m = NAME.matcher(fileName);
        return m.matches() && m.group(2) == null ? Long.parseLong(m.group(1)) : -1;
    }

    /** Deletes the complete snapshot files of indexes below {@code index}; returns whether any went. */
    static boolean deleteBefore(Vfs vfs, long index) throws IOException {
        boolean deleted = false;
        for (String name : vfs.list()) {
            long snapIndex = indexOf(name);
            if (snapIndex >= 0 && snapIndex < index) {
                vfs.delete(name);
                deleted = true;
            }
        }
        return deleted;
    }

    /** Is this the temporary name of a snapshot whose write never completed? */
    static boolean isUnfinished(String fileName) {
        Matcher m = NAME.matcher(fileName);
        return m.matches() && m.group(2) != null;
    }

    /**
     * Bytes written between syncs of a snapshot file. Written whole and synced once, a state of tens of
     * megabytes reached the disk in one burst that WAL fsyncs (of this node and, on a shared disk, its peers)
     * queued behind: their p99 rose from 4 to 8-12 ms, and every write's commit with them. Synced as it is
     * written, the file goes out at the pace of the disk, as RocksDB's bytes_per_sync does.
     */
    static final int SYNC_EVERY_BYTES = 1 << 20;

    static void write(Vfs vfs, Snapshot snap) throws IOException {
        String name = name(snap.index());
        String tmp = name + ".tmp";
        // Header, state and checksum written in place: a snapshot can be large, so no copy of it is made.
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
        header.putInt(MAGIC).putLong(snap.index()).putLong(snap.term()).putInt(snap.data().length);
        CRC32C crc = new CRC32C();
        crc.update(header.array(), 0, HEADER_BYTES);
        crc.update(snap.data(), 0, snap.data().length);
        ByteBuffer trailer = ByteBuffer.allocate(4).putInt((int) crc.getValue());
        header.flip();
        trailer.flip();
        try (VfsFile f = vfs.open(tmp, true)) {
            f.truncate(0);
            f.write(0, header);
            byte[] data = snap.data();
            for (int at = 0; at < data.length; at += SYNC_EVERY_BYTES) {
                int n = Math.min(SYNC_EVERY_BYTES, data.length - at);
                f.write(HEADER_BYTES + (long) at, ByteBuffer.wrap(data, at, n));
                if (at + n < data.length) {
                    f.syncNow();
                }
            }
            f.write(HEADER_BYTES + (long) snap.data().length, trailer);
            f.syncNow();
        }
        vfs.rename(tmp, name);
        vfs.syncDirectory();
    }

    static byte[] readChunk(Vfs vfs, long index, long offset, int length) throws IOException {
        try (VfsFile f = vfs.open(name(index), false)) {
            long end = HEADER_BYTES + offset + length;
            if (offset < 0 || end > f.size() - 4) {
                throw new IOException("snapshot " + index + " has no bytes " + offset + "+" + length);
            }
            ByteBuffer b = ByteBuffer.allocate(length);
            if (VfsFiles.readFully(f, HEADER_BYTES + offset, b) < length) {
                throw new IOException("snapshot " + index + " ended early");
            }
            return b.array();
        }
    }

    static Snapshot read(Vfs vfs, String name) throws IOException {
        ByteBuffer b;
        try (VfsFile f = vfs.open(name, false)) {
            long size = f.size();
            if (size < HEADER_BYTES + 4 || size > Snapshot.MAX_BYTES + HEADER_BYTES + 4L) {
                throw new IOException("snapshot " + name + " is corrupted: bad size " + size);
            }
            b = ByteBuffer.allocate((int) size);
            VfsFiles.readFully(f, 0, b);
            b.flip();
        }
        int len = b.getInt(20);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, b.limit() - 4);
        if (b.getInt(0) != MAGIC
                || len != b.limit() - HEADER_BYTES - 4
                || (int) crc.getValue() != b.getInt(b.limit() - 4)) {
            throw new IOException("snapshot " + name + " is corrupted (bad magic, length or checksum mismatch); "
                    + "refusing to start rather than lose acknowledged entries");
        }
        long index = b.getLong(4);
        long term = b.getLong(12);
        byte[] data = Arrays.copyOfRange(b.array(), HEADER_BYTES, HEADER_BYTES + len);
        return new Snapshot(index, term, data);
    }
}
