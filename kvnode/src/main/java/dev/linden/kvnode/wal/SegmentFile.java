package dev.linden.kvnode.wal;

import dev.linden.kvnode.raft.Invariants;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/**
 * A WAL segment, {@code wal-<seq>.seg}: a header, then {@link WalRecord}s back to back, then zeros. The
 * next segment is prepared as {@code <name>.pre}, zero-filled and forced, and renamed once its header is
 * durable, so a segment never lacks its header.
 *
 * <p>Version 2 segments have a fixed size, declared in the header: a segment is sized to
 * {@code allocatedBytes} when it is created (zero-filled if preallocated, else a sparse file), before any
 * record goes in, and the size is durable with the header. Records are then written in place, so the
 * file never shrinks or grows while it holds acknowledged data. A file found shorter than its declared
 * size was cut after the fact (an operator, a restore, a file system that lost blocks): its tail may
 * have held acknowledged records, which is data loss, never a torn write. A torn write leaves the size
 * alone and garbles only the bytes of the last write in flight.
 * <pre>
 *   0       4       8               16      20      24
 *   +-------+-------+---------------+-------+-------+------------
 *   | magic | 2     | allocatedBytes| crc32c| 0     | records ...   crc32c covers bytes 0-15
 *   +-------+-------+---------------+-------+-------+------------
 * </pre>
 * Version 1 (8 bytes: magic, 1) grew as it was written; it is still read, without the size check.
 */
public final class SegmentFile {
    static final int MAGIC = 0x4C4E5731; // "LNW1"
    /** Header size of version 2, the one written. */
    public static final int HEADER_BYTES = 24;

    static final int V1_HEADER_BYTES = 8;
    private static final int VERSION = 2;
    private static final Pattern NAME = Pattern.compile("wal-(\\d{10})\\.seg");
    private static final Pattern PREALLOCATED_NAME = Pattern.compile("wal-(\\d{10})\\.seg\\.pre");
    private static final Pattern CREATING_NAME = Pattern.compile("wal-(\\d{10})\\.seg\\.tmp");

    private SegmentFile() {}

    public static String name(long seq) {
        return String.format("wal-%010d.seg", seq);
    }

    static String preallocatedName(long seq) {
        return name(seq) + ".pre";
    }

    /** The sequence number of a segment's file name; -1 for any other name. */
    public static long seqOf(String fileName) {
        Matcher m = NAME.matcher(fileName);
        return m.matches() ? Long.parseLong(m.group(1)) : -1;
    }

    static boolean isPreallocated(String fileName) {
        return PREALLOCATED_NAME.matcher(fileName).matches();
    }

    /** A segment being created in place (sized, header written and forced, then renamed): never a segment. */
    static String creatingName(long seq) {
        return name(seq) + ".tmp";
    }

    static boolean isCreating(String fileName) {
        return CREATING_NAME.matcher(fileName).matches();
    }

    /** A fresh segment header for a file of {@code allocatedBytes}, ready to write at offset 0. */
    static ByteBuffer header(long allocatedBytes) {
        Invariants.require(allocatedBytes > HEADER_BYTES, "a segment holds more than its header");
        ByteBuffer header =
                ByteBuffer.allocate(HEADER_BYTES).putInt(MAGIC).putInt(VERSION).putLong(allocatedBytes);
        CRC32C crc = new CRC32C();
        crc.update(header.array(), 0, 16);
        header.putInt((int) crc.getValue()).putInt(0);
        header.flip();
        return header;
    }

    /**
     * What a segment's first bytes say.
     *
     * @param headerBytes    where its records start
     * @param allocatedBytes the size it was given at creation (0: version 1, which grew as written)
     */
    record Header(int headerBytes, long allocatedBytes) {}

    /** Parses the header at the start of {@code buf}; null if it is not a valid segment header. */
    static Header parseHeader(ByteBuffer buf) {
        if (buf.limit() < V1_HEADER_BYTES || buf.getInt(0) != MAGIC) {
            return null;
        }
        int version = buf.getInt(4);
        if (version == 1) {
            return new Header(V1_HEADER_BYTES, 0);
        }
        if (version != VERSION || buf.limit() < HEADER_BYTES) {
            return null;
        }
        CRC32C crc = new CRC32C();
        crc.update(buf.array(), buf.arrayOffset(), 16);
        long allocated = buf.getLong(8);
        if ((int) crc.getValue() != buf.getInt(16) || allocated <= HEADER_BYTES) {
            return null;
        }
        return new Header(HEADER_BYTES, allocated);
    }

    /** Where the records of an open segment start (its header's size; the version 2 size if unreadable). */
    static int headerBytes(VfsFile f) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES);
        VfsFiles.readFully(f, 0, b);
        b.flip();
        Header h = parseHeader(b);
        return h == null ? HEADER_BYTES : h.headerBytes();
    }
}
