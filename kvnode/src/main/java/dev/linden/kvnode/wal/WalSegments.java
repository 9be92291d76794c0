package dev.linden.kvnode.wal;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A read-only look at a WAL directory's segments from outside the WAL, for tools that damage or inspect
 * them (the nemesis's disk-damage faults): which files are segments, and where each record of a segment
 * starts and ends. Deliberately lenient: it walks records from the end of the header by their length
 * field and stops at the first one that does not decode whole and with a good checksum (a torn write,
 * preallocated zeros, garbage), so it never throws on a damaged or future segment; it only finds less.
 */
public final class WalSegments {
    private WalSegments() {}

    /** One whole record of a segment: its byte range and the log position it holds. */
    public record RecordSpan(int offset, int bytes, long term, long index) {
        public RecordSpan {
            if (offset < 0 || bytes < WalRecord.HEADER_BYTES || term < 1 || index < 1) {
                throw new IllegalArgumentException(
                        "not a record: offset " + offset + ", " + bytes + " bytes, term " + term + ", index " + index);
            }
        }

        /** One past its last byte. */
        public int end() {
            return offset + bytes;
        }
    }

    /** Whether {@code fileName} is a segment ({@code wal-<seq>.seg}). */
    public static boolean isSegment(String fileName) {
        return SegmentFile.seqOf(fileName) >= 0;
    }

    /** Whether {@code fileName} is a segment prepared ahead of use ({@code wal-<seq>.seg.pre}). */
    public static boolean isPreallocated(String fileName) {
        return SegmentFile.isPreallocated(fileName);
    }

    /** A segment's sequence number (segments are replayed in this order); -1 for any other name. */
    public static long seqOf(String fileName) {
        return SegmentFile.seqOf(fileName);
    }

    /**
     * The whole, valid records of a segment's bytes, in file order, from the header's end up to the
     * first record that does not decode OK. Empty if the file is shorter than a header.
     */
    public static List<RecordSpan> records(byte[] segment) {
        List<RecordSpan> out = new ArrayList<>();
        ByteBuffer buf = ByteBuffer.wrap(segment);
        SegmentFile.Header header = SegmentFile.parseHeader(buf);
        if (header == null) {
            return out;
        }
        buf.position(header.headerBytes());
        // Bounded: every record decoded advances the position by at least a record header.
        while (buf.remaining() >= WalRecord.HEADER_BYTES) {
            int at = buf.position();
            WalRecord.Decoded d = WalRecord.decode(buf);
            if (d.status != WalRecord.Status.OK) {
                break;
            }
            out.add(new RecordSpan(at, d.bytes, d.entry.term(), d.entry.index()));
        }
        return out;
    }
}
