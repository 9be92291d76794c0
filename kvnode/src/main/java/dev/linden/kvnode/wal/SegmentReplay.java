package dev.linden.kvnode.wal;

import dev.linden.kvnode.raft.Entry;
import dev.linden.kvnode.raft.Snapshot;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Recovery's reading of segments: records replayed in order, an index at or below the previous one
 * replacing the log from there (a follower's truncation, written append-only). A record cut short or
 * garbled at the very end of the last segment is a torn write from a crash (never acknowledged) and ends
 * the log there; any other bad record is corruption of data that may have been acknowledged, refused
 * with the segment, offset and reason, never skipped.
 */
final class SegmentReplay {
    private SegmentReplay() {}

    /** Entries replayed so far: contiguous after {@code base}. */
    static final class Replay {
        long base = -1;
        final ArrayList<Entry> entries = new ArrayList<>();
        long segmentMaxIndex;
        long segmentMinIndex;
        /** Whether everything after the last valid record of the last segment read is zeros. */
        boolean zeroTail;
        /** The last segment read: its size on disk, the size its header declares (0: version 1), and one past
         *  its last non-zero byte. */
        long fileBytes;

        long allocatedBytes;
        long dataEnd;
    }

    /** Replays one segment into {@code log}; returns the offset where valid data ends (-1: no header). */
    static long replaySegment(Vfs vfs, String name, boolean last, Replay log) throws IOException {
        ByteBuffer buf;
        try (VfsFile f = vfs.open(name, false)) {
            long size = f.size();
            if (size > Integer.MAX_VALUE - 16) {
                throw new IOException("WAL segment " + name + " too large: " + size + " bytes");
            }
            buf = ByteBuffer.allocate((int) size);
            VfsFiles.readFully(f, 0, buf);
            buf.flip();
        }
        log.fileBytes = buf.limit();
        log.allocatedBytes = 0;
        log.dataEnd = 0;
        if (buf.remaining() < SegmentFile.V1_HEADER_BYTES) {
            if (last) {
                return -1;
            }
            throw new IOException("WAL corrupted: segment " + name + " has no header but is not the last segment");
        }
        SegmentFile.Header header = SegmentFile.parseHeader(buf);
        if (header == null) {
            if (last && allZero(buf, 0)) {
                return -1; // created and zero-filled, but its header never written (a full disk, say)
            }
            if (last && buf.limit() < SegmentFile.HEADER_BYTES && buf.getInt(0) == SegmentFile.MAGIC) {
                return -1; // cut inside its header: recovery tells from the wal-mark whether it had started
            }
            throw new IOException("WAL corrupted: segment " + name + " has a bad header (magic, version or checksum)");
        }
        log.allocatedBytes = header.allocatedBytes();
        log.dataEnd = dataEnd(buf);
        if (!last) {
            LostData.refuseCutInTheMiddle(name, log);
        }
        buf.position(header.headerBytes());
        log.zeroTail = false;
        while (buf.hasRemaining()) {
            int at = buf.position();
            WalRecord.Decoded d = WalRecord.decode(buf);
            if (d.status == WalRecord.Status.OK) {
                apply(name, at, d.entry, log);
                continue;
            }
            if (allZero(buf, at)) {
                log.zeroTail = true;
                return at; // preallocated space never written: the end of this segment's data
            }
            if (headerIsZero(buf, at) && !validRecordAfter(buf, at)) {
                // Unwritten preallocated space with noise in it (a flipped bit): no data of ours is there.
                return at;
            }
            int claimedLen = buf.remaining() >= 4 ? buf.getInt(at + WalRecord.LENGTH_AT) : -1;
            boolean reachesEnd = claimedLen >= 0
                    && claimedLen <= WalRecord.MAX_PAYLOAD_BYTES
                    && at + WalRecord.HEADER_BYTES + (long) claimedLen >= buf.limit();
            boolean tinyTail = buf.limit() - at < WalRecord.HEADER_BYTES;
            // In a preallocated segment a torn write is followed by zeros, not by the end of the file: the
            // written bytes stop inside this record (or inside its header, if its length is garbage).
            boolean lengthPlausible = claimedLen >= 0 && claimedLen <= WalRecord.MAX_PAYLOAD_BYTES;
            boolean tornIntoZeros = dataEnd(buf) <= at + WalRecord.HEADER_BYTES + (lengthPlausible ? claimedLen : 0L);
            boolean looksTorn = d.status == WalRecord.Status.TRUNCATED || reachesEnd || tinyTail || tornIntoZeros;
            // A torn write is the end of the log: nothing valid can follow it (recovery truncates it before
            // appending again). A valid record further on means this one was damaged after it was written,
            // e.g. a flipped bit in its length field that makes it look as if it ran past the end.
            if (last && looksTorn && !validRecordAfter(buf, at)) {
                return at; // torn tail of the last write before a crash: never acknowledged
            }
            long index = buf.limit() - at >= WalRecord.KIND_AT ? buf.getLong(at + WalRecord.INDEX_AT) : -1;
            throw new IOException("WAL corrupted: segment " + name + " offset " + at
                    + (index > 0 ? " (record claims index " + index + ")" : "") + ": " + d.problem
                    + (last ? ", followed by more data" : " in a segment that is not the last")
                    + "; refusing to start rather than lose acknowledged entries");
        }
        return buf.limit();
    }

    /** The recovered entries that follow {@code snap}: none if the log diverged from it or ended before it. */
    static List<Entry> afterSnapshot(Snapshot snap, Replay log) throws IOException {
        long last = log.base + log.entries.size();
        if (log.entries.isEmpty() || last <= snap.index()) {
            return List.of();
        }
        if (log.base > snap.index()) {
            throw new IOException("WAL corrupted: entries " + (snap.index() + 1) + ".." + log.base + " after snapshot "
                    + snap.index() + " are missing");
        }
        if (log.base < snap.index()) {
            Entry at = log.entries.get((int) (snap.index() - log.base - 1));
            if (at.term() != snap.term()) {
                return List.of(); // a snapshot from the leader replaced this log; its deletion did not finish
            }
        }
        return log.entries.subList((int) (snap.index() - log.base), log.entries.size());
    }

    private static boolean allZero(ByteBuffer buf, int from) {
        int i = from;
        for (; i + 8 <= buf.limit(); i += 8) {
            if (buf.getLong(i) != 0) {
                return false;
            }
        }
        for (; i < buf.limit(); i++) {
            if (buf.get(i) != 0) {
                return false;
            }
        }
        return true;
    }

    /** One past the last non-zero byte of {@code buf}. */
    private static int dataEnd(ByteBuffer buf) {
        int end = buf.limit();
        while (end >= 8 && buf.getLong(end - 8) == 0) {
            end -= 8;
        }
        while (end > 0 && buf.get(end - 1) == 0) {
            end--;
        }
        return end;
    }

    private static boolean headerIsZero(ByteBuffer buf, int at) {
        for (int i = at; i < Math.min(buf.limit(), at + WalRecord.HEADER_BYTES); i++) {
            if (buf.get(i) != 0) {
                return false;
            }
        }
        return true;
    }

    /** Is there a record with a valid checksum anywhere after offset {@code at}? (Only run on the failure path.) */
    private static boolean validRecordAfter(ByteBuffer buf, int at) {
        for (int off = at + 1; off + WalRecord.HEADER_BYTES <= buf.limit(); off++) {
            int len = buf.getInt(off + WalRecord.LENGTH_AT);
            if (len < 0 || len > buf.limit() - off - WalRecord.HEADER_BYTES) {
                continue;
            }
            int kind = buf.get(off + WalRecord.KIND_AT);
            if (kind < 0
                    || kind > 1
                    || buf.getLong(off + WalRecord.TERM_AT) < 1
                    || buf.getLong(off + WalRecord.INDEX_AT) < 1) {
                continue;
            }
            ByteBuffer probe = buf.duplicate();
            probe.position(off);
            if (WalRecord.decode(probe).status == WalRecord.Status.OK) {
                return true;
            }
        }
        return false;
    }

    private static void apply(String name, int offset, Entry e, Replay replay) throws IOException {
        if (replay.base < 0) {
            replay.base = e.index() - 1; // earlier segments were deleted after a snapshot covered them
        }
        ArrayList<Entry> log = replay.entries;
        long last = replay.base + log.size();
        if (e.index() > last + 1) {
            throw new IOException("WAL corrupted: segment " + name + " offset " + offset + " jumps from index " + last
                    + " to " + e.index());
        }
        if (e.index() <= replay.base) {
            throw new IOException("WAL corrupted: segment " + name + " offset " + offset + " rewrites index "
                    + e.index() + ", before the oldest entry kept (" + (replay.base + 1) + ")");
        }
        while (replay.base + log.size() >= e.index()) {
            log.remove(log.size() - 1);
        }
        if (!log.isEmpty() && log.get(log.size() - 1).term() > e.term()) {
            throw new IOException(
                    "WAL corrupted: segment " + name + " offset " + offset + ": term goes back at index " + e.index());
        }
        log.add(e);
        replay.segmentMaxIndex = Math.max(replay.segmentMaxIndex, e.index());
        replay.segmentMinIndex = replay.segmentMinIndex == 0 ? e.index() : Math.min(replay.segmentMinIndex, e.index());
    }
}
