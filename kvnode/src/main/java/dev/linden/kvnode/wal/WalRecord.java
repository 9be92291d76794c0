package dev.linden.kvnode.wal;

import dev.linden.kvnode.raft.Entry;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * One WAL record: a log entry.
 * <pre>
 *   0       4       8               16              24  25
 *   +-------+-------+---------------+---------------+---+-----------------+
 *   | len   | crc32c| term          | index         | k | payload (len B) |
 *   +-------+-------+---------------+---------------+---+-----------------+
 * </pre>
 * {@code crc32c} covers bytes 8 to the end. An entry whose index is not one past the previous record's
 * replaces the log from that index on (a follower's truncation, written append-only).
 */
final class WalRecord {
    static final int HEADER_BYTES = 25;
    /** Field offsets within a record, per the layout above. */
    static final int LENGTH_AT = 0;

    static final int CRC_AT = 4;
    static final int TERM_AT = 8;
    static final int INDEX_AT = 16;
    static final int KIND_AT = 24;
    /** Larger lengths are treated as garbage (a torn or corrupted header), never allocated. */
    static final int MAX_PAYLOAD_BYTES = 64 << 20;

    private WalRecord() {}

    static int size(Entry e) {
        return HEADER_BYTES + e.command().length;
    }

    static void encode(Entry e, ByteBuffer out) {
        int start = out.position();
        out.putInt(e.command().length);
        out.putInt(0); // crc placeholder
        out.putLong(e.term()).putLong(e.index()).put((byte) e.kind().ordinal()).put(e.command());
        CRC32C crc = new CRC32C();
        ByteBuffer covered = out.duplicate();
        covered.position(start + TERM_AT).limit(out.position());
        crc.update(covered);
        out.putInt(start + CRC_AT, (int) crc.getValue());
    }

    /** Result of decoding at one position. */
    enum Status {
        OK,
        TRUNCATED,
        CORRUPT
    }

    static final class Decoded {
        Status status;
        Entry entry;
        int bytes;
        String problem;
    }

    /** Decodes the record at {@code buf}'s position (which it advances on success). */
    static Decoded decode(ByteBuffer buf) {
        Decoded d = new Decoded();
        if (buf.remaining() < HEADER_BYTES) {
            d.status = Status.TRUNCATED;
            d.problem = "partial header";
            return d;
        }
        int start = buf.position();
        int len = buf.getInt(start + LENGTH_AT);
        int crcStored = buf.getInt(start + CRC_AT);
        if (len < 0 || len > MAX_PAYLOAD_BYTES) {
            d.status = Status.CORRUPT;
            d.problem = "impossible length " + len;
            return d;
        }
        if (buf.remaining() < HEADER_BYTES + len) {
            d.status = Status.TRUNCATED;
            d.problem = "record of " + (HEADER_BYTES + len) + " bytes cut short";
            return d;
        }
        CRC32C crc = new CRC32C();
        ByteBuffer covered = buf.duplicate();
        covered.position(start + TERM_AT).limit(start + HEADER_BYTES + len);
        crc.update(covered);
        if ((int) crc.getValue() != crcStored) {
            d.status = Status.CORRUPT;
            d.problem = "checksum mismatch";
            return d;
        }
        long term = buf.getLong(start + TERM_AT);
        long index = buf.getLong(start + INDEX_AT);
        int kind = buf.get(start + KIND_AT);
        if (kind < 0 || kind >= Entry.Kind.values().length || term < 1 || index < 1) {
            d.status = Status.CORRUPT;
            d.problem = "bad fields (term " + term + ", index " + index + ", kind " + kind + ")";
            return d;
        }
        byte[] payload = new byte[len];
        buf.position(start + HEADER_BYTES);
        buf.get(payload);
        d.status = Status.OK;
        d.entry = new Entry(term, index, Entry.Kind.values()[kind], payload);
        d.bytes = HEADER_BYTES + len;
        return d;
    }
}
