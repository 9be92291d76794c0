package dev.linden.kvnode.wal;

import dev.linden.kvnode.raft.Entry;
import dev.linden.kvnode.raft.TermLookup;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * Reads entries back from segments (for a follower far behind, after the leader evicted them from memory).
 * Runs on the snapshot stage, off the write path, against a view of where the data is taken on the writer
 * stage. Keeps a cursor where the last read stopped, so a follower catching up does not rescan.
 */
final class SegmentReader {
    private final Vfs vfs;
    private long cursorSeq = -1;
    private long cursorOffset;
    private long cursorNextIndex;

    SegmentReader(Vfs vfs) {
        this.vfs = vfs;
    }

    void forgetCursor() {
        cursorSeq = -1;
    }

    /** Snapshot stage: collects the entries meant by {@code terms} from {@code fromIndex}, segment by segment. */
    List<Entry> scan(
            long fromIndex,
            int maxEntries,
            long maxBytes,
            TermLookup terms,
            TreeMap<Long, Long> firstIndexes,
            long currentSeq,
            long currentEnd)
            throws IOException {
        long seq;
        long offset;
        if (cursorSeq >= 0 && cursorNextIndex == fromIndex && firstIndexes.containsKey(cursorSeq)) {
            seq = cursorSeq;
            offset = cursorOffset;
        } else {
            seq = -1;
            for (var e : firstIndexes.entrySet()) {
                if (e.getValue() != 0 && e.getValue() <= fromIndex) {
                    seq = e.getKey(); // the last segment that starts at or before fromIndex
                }
            }
            if (seq < 0) {
                return List.of(); // compacted away: the core falls back to a snapshot
            }
            offset = -1; // from the first record, after the segment's header
        }
        ArrayList<Entry> out = new ArrayList<>();
        long bytes = 0;
        for (var it = firstIndexes.tailMap(seq, true).keySet().iterator(); it.hasNext(); ) {
            long s = it.next();
            try (VfsFile f = vfs.open(SegmentFile.name(s), false)) {
                long start = s == seq && offset >= 0 ? offset : SegmentFile.headerBytes(f);
                long end = s == currentSeq ? currentEnd : f.size();
                ByteBuffer buf = ByteBuffer.allocate((int) Math.min(end - start, 4L << 20));
                long pos = start;
                while (pos < end) {
                    buf.clear();
                    buf.limit((int) Math.min(buf.capacity(), end - pos));
                    int n = VfsFiles.readFully(f, pos, buf);
                    buf.flip();
                    int consumed = 0;
                    boolean endOfData = false;
                    while (buf.hasRemaining()) {
                        WalRecord.Decoded d = WalRecord.decode(buf);
                        if (d.status == WalRecord.Status.TRUNCATED && n == buf.capacity()) {
                            if (consumed == 0) { // one record larger than the buffer
                                buf = ByteBuffer.allocate(Math.min(
                                        buf.capacity() * 2, WalRecord.MAX_PAYLOAD_BYTES + WalRecord.HEADER_BYTES));
                            }
                            break; // refill from the start of this record
                        }
                        if (d.status != WalRecord.Status.OK) {
                            endOfData = true; // zeros or the unwritten rest: the end of this segment's data
                            break;
                        }
                        consumed += d.bytes;
                        Entry e = d.entry;
                        long want = fromIndex + out.size();
                        if (e.index() == want && e.term() == terms.termOf(e.index())) {
                            if (!out.isEmpty() && bytes + e.sizeBytes() > maxBytes) {
                                return finish(out, s, pos + consumed - d.bytes, fromIndex);
                            }
                            out.add(e);
                            bytes += e.sizeBytes();
                            if (out.size() >= maxEntries) {
                                return finish(out, s, pos + consumed, fromIndex);
                            }
                        }
                    }
                    if (endOfData || n == 0) {
                        break;
                    }
                    pos += consumed;
                }
            }
        }
        cursorSeq = -1;
        return out;
    }

    private List<Entry> finish(List<Entry> out, long seq, long offset, long fromIndex) {
        cursorSeq = seq;
        cursorOffset = offset;
        cursorNextIndex = fromIndex + out.size();
        return out;
    }
}
