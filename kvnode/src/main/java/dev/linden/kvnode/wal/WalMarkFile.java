package dev.linden.kvnode.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The WAL's mark, {@code wal-mark}: the sequence number of the newest segment ever started, made durable
 * when a segment starts and before any record in it is written. Segments live in files of their own, so
 * deleting the newest ones (or all of them) would otherwise leave a log that looks whole but ends early:
 * recovery compares what it finds with this mark, and a segment missing at the end is data loss, not a
 * clean end. Replaced durably, like the hard state.
 * <pre>
 *   0       4               12      16
 *   +-------+---------------+-------+
 *   | magic | newest seq    | crc32c|   crc32c covers bytes 0-11
 *   +-------+---------------+-------+
 * </pre>
 * A data dir written before the mark existed has none: 0, nothing to compare with.
 */
final class WalMarkFile {
    static final String NAME = "wal-mark";
    private static final String TMP_NAME = "wal-mark.tmp";
    private static final int MAGIC = 0x4C4E574D; // "LNWM"
    private static final int BYTES = 16;

    private WalMarkFile() {}

    /** The newest segment sequence number recorded, 0 if there is no mark. */
    static long load(Vfs vfs) throws IOException {
        if (!vfs.list().contains(NAME)) {
            return 0;
        }
        ByteBuffer b = ByteBuffer.allocate(BYTES);
        try (VfsFile f = vfs.open(NAME, false)) {
            VfsFiles.readFully(f, 0, b);
        }
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, BYTES - 4);
        if (b.position() != BYTES
                || b.getInt(0) != MAGIC
                || (int) crc.getValue() != b.getInt(BYTES - 4)
                || b.getLong(4) < 1) {
            throw new IOException("WAL corrupted: the " + NAME + " file is damaged (bad size, magic or checksum), so "
                    + "recovery cannot tell whether segments are missing");
        }
        return b.getLong(4);
    }

    static void save(Vfs vfs, long newestSeq) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(BYTES).putInt(MAGIC).putLong(newestSeq);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, BYTES - 4);
        b.putInt((int) crc.getValue()).flip();
        VfsFiles.replaceDurably(vfs, TMP_NAME, NAME, b);
    }
}
