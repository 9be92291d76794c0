package dev.linden.kvnode.wal;

import java.nio.ByteBuffer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A WAL segment, {@code wal-<seq>.seg}: an 8-byte header (magic, format version), then {@link WalRecord}s
 * back to back, then (if preallocated) zeros. The next segment is prepared as {@code <name>.pre},
 * zero-filled and forced, and renamed once its header is durable, so a segment never lacks its header.
 * <pre>
 *   0       4       8
 *   +-------+-------+--------------------------------
 *   | magic | 1     | records ...
 *   +-------+-------+--------------------------------
 * </pre>
 */
final class SegmentFile {
    static final int MAGIC = 0x4C4E5731; // "LNW1"
    static final int HEADER_BYTES = 8;
    private static final int VERSION = 1;
    private static final Pattern NAME = Pattern.compile("wal-(\\d{10})\\.seg");
    private static final Pattern PREALLOCATED_NAME = Pattern.compile("wal-(\\d{10})\\.seg\\.pre");

    private SegmentFile() {}

    static String name(long seq) {
        return String.format("wal-%010d.seg", seq);
    }

    static String preallocatedName(long seq) {
        return name(seq) + ".pre";
    }

    /** The sequence number of a segment's file name; -1 for any other name. */
    static long seqOf(String fileName) {
        Matcher m = NAME.matcher(fileName);
        return m.matches() ? Long.parseLong(m.group(1)) : -1;
    }

    static boolean isPreallocated(String fileName) {
        return PREALLOCATED_NAME.matcher(fileName).matches();
    }

    /** A fresh segment header, ready to write at offset 0. */
    static ByteBuffer header() {
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).putInt(MAGIC).putInt(VERSION);
        header.flip();
        return header;
    }
}
