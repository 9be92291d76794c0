package dev.linden.kvnode.wal;

import dev.linden.kvnode.node.LogStore.Recovered;
import dev.linden.kvnode.raft.Entry;
import dev.linden.kvnode.raft.HardState;
import dev.linden.kvnode.raft.Snapshot;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Recovery's order of work, at start-up: read the hard state, the mark and the newest snapshot, replay
 * every segment in order, tell lost data ({@link LostData}) from a torn write at the very end, repair the
 * last segment's tail and leave {@link SegmentChain} ready to write on. Any bad record that is not a torn
 * last write is refused, with the segment, offset and reason, and never skipped.
 */
final class WalRecovery {
    /** Torn tails are zeroed in writes of at most this much, from the end backwards. */
    private static final int ZERO_CHUNK_BYTES = 64 * 1024;

    private final Vfs vfs;
    private final WalConfig config;
    private final SegmentChain segments;
    private final Consumer<String> events;

    /** The segment and snapshot files found, by sequence number and by index. */
    private final TreeMap<Long, String> segmentFiles = new TreeMap<>();

    private final TreeMap<Long, String> snapshotFiles = new TreeMap<>();

    WalRecovery(Vfs vfs, WalConfig config, SegmentChain segments, Consumer<String> events) {
        this.vfs = vfs;
        this.config = config;
        this.segments = segments;
        this.events = events;
    }

    Recovered load() throws IOException {
        HardState hs = HardStateFile.load(vfs);
        long markedSeq = WalMarkFile.load(vfs);
        listFiles();
        Snapshot snapshot = snapshotFiles.isEmpty()
                ? null
                : SnapshotFile.read(vfs, snapshotFiles.lastEntry().getValue());
        SegmentReplay.Replay log = new SegmentReplay.Replay();
        long validEnd = replayAll(log);
        String lost = config.trustLostData() ? null : LostData.find(markedSeq, segmentFiles, validEnd, log, snapshot);
        if (lost != null) {
            hs = LostData.record(vfs, hs, lost, events);
        }
        if (!segmentFiles.isEmpty() && validEnd >= 0 && segments.currentSeq() != markedSeq) {
            // Segments missing at the end (the loss is on record: what is here is the log from now on), a crash
            // between a segment's creation and its mark, or a data dir from before the mark: name the newest
            // segment now, before anything is written into it, so that its loss is seen from now on.
            WalMarkFile.save(vfs, segments.currentSeq());
        }
        if (segmentFiles.isEmpty() || validEnd < 0) {
            if (validEnd < 0) {
                segments.dropHeadless(); // a segment whose header never became durable
            }
            segments.start(true);
        } else {
            repairTail(segments.reopenLast(), validEnd, log, lost != null);
            segments.resumeAt(validEnd);
        }
        List<Entry> entries = entriesAfter(snapshot, log);
        if (!entries.isEmpty() && entries.get(entries.size() - 1).term() > hs.term()) {
            throw new IOException("WAL corrupted: log holds term "
                    + entries.get(entries.size() - 1).term() + " beyond the stored current term " + hs.term());
        }
        return new Recovered(hs, snapshot, List.copyOf(entries), lost);
    }

    /** Sorts the directory's files; deletes what was being prepared or written and never finished. */
    private void listFiles() throws IOException {
        for (String name : vfs.list()) {
            if (SegmentFile.seqOf(name) >= 0) {
                segmentFiles.put(SegmentFile.seqOf(name), name);
            }
            if (SegmentFile.isPreallocated(name) || SegmentFile.isCreating(name)) {
                vfs.delete(name); // prepared or being created for a segment that never started
                continue;
            }
            if (SnapshotFile.isUnfinished(name)) {
                vfs.delete(name); // a snapshot whose write never completed
            } else if (SnapshotFile.indexOf(name) >= 0) {
                snapshotFiles.put(SnapshotFile.indexOf(name), name);
            }
        }
    }

    /** Replays every segment in order into {@code log}; returns where valid data in the last one ends. */
    private long replayAll(SegmentReplay.Replay log) throws IOException {
        long validEnd = 0;
        for (var it = segmentFiles.entrySet().iterator(); it.hasNext(); ) {
            var seg = it.next();
            boolean last = !it.hasNext();
            log.segmentMaxIndex = 0;
            log.segmentMinIndex = 0;
            validEnd = SegmentReplay.replaySegment(vfs, seg.getValue(), last, log);
            segments.replayed(seg.getKey(), log.segmentMinIndex, log.segmentMaxIndex, !last);
        }
        segments.lastReplayed(log.segmentMaxIndex);
        return validEnd;
    }

    /** The entries the node gets back: those after the snapshot, if there is one. */
    private List<Entry> entriesAfter(Snapshot snapshot, SegmentReplay.Replay log) throws IOException {
        if (snapshot == null) {
            if (log.base != 0 && !log.entries.isEmpty()) {
                throw new IOException("WAL corrupted: the log starts at index " + (log.base + 1) + " with no snapshot");
            }
            return log.entries;
        }
        List<Entry> entries = SegmentReplay.afterSnapshot(snapshot, log);
        long last = log.base + log.entries.size();
        if (!log.entries.isEmpty() && entries.isEmpty() && last != snapshot.index()) {
            // The log stops short of the snapshot (its tail was not yet durable when the snapshot was)
            // or went another way: appending after it would leave a gap. Start the log afresh after the
            // snapshot, as an install does. A crash half-way leaves segments that are dropped again.
            segments.restartAfterRecoveredSnapshot();
        }
        return entries;
    }

    /**
     * Zeroes a torn tail {@code [from, to)} from its end backwards, the torn record's header last, in writes
     * that a full disk or a crash may cut short anywhere. Each step leaves what the next recovery again reads
     * as a torn tail: the header still claims at least what non-zero bytes remain after it, and once it is
     * touched nothing but it remains. Zeroed front to back, a short write would zero part of the header's
     * length and leave bytes after it, which reads as a damaged record followed by more data.
     */
    static void zeroTornTail(VfsFile segment, long from, long to) throws IOException {
        long headerEnd = Math.min(to, from + WalRecord.HEADER_BYTES);
        for (long end = to; end > headerEnd; ) {
            long start = Math.max(headerEnd, end - ZERO_CHUNK_BYTES);
            SegmentChain.zeroFill(segment, start, end);
            end = start;
        }
        SegmentChain.zeroFill(segment, from, headerEnd);
    }

    /**
     * The last segment after recovery: a torn write (garbage after the last valid record) is zeroed, and a
     * version-2 segment found cut short (already recorded as lost data) is given its size back, so the file
     * is again what the writer expects: valid records, then zeros, at its declared size.
     */
    private void repairTail(VfsFile segment, long validEnd, SegmentReplay.Replay log, boolean cut) throws IOException {
        String name = SegmentFile.name(segments.currentSeq());
        if (log.allocatedBytes == 0) {
            if (segment.size() != validEnd && !log.zeroTail) {
                events.accept("event=wal-truncated segment=" + name + " from-bytes=" + segment.size() + " to-bytes="
                        + validEnd + " reason=torn-tail");
                segment.truncate(validEnd);
                segment.syncNow();
            }
            return;
        }
        boolean changed = false;
        if (log.dataEnd > validEnd) {
            events.accept("event=wal-torn-tail segment=" + name + " bytes=" + validEnd + ".." + log.dataEnd
                    + " action=zeroed "
                    + (cut
                            ? "(what the cut left of a record; the loss is on record)"
                            : "(the last write in flight at a crash, never acknowledged)"));
            zeroTornTail(segment, validEnd, Math.min(log.dataEnd, log.fileBytes));
            changed = true;
        }
        if (log.fileBytes < log.allocatedBytes) {
            segment.write(log.allocatedBytes - 1, ByteBuffer.allocate(1));
            changed = true;
        }
        if (changed) {
            segment.syncNow();
        }
    }
}
