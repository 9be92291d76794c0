package dev.linden.kvnode.wal;

import dev.linden.kvnode.node.LogStore;
import dev.linden.kvnode.node.Stage;
import dev.linden.kvnode.raft.Entry;
import dev.linden.kvnode.raft.HardState;
import dev.linden.kvnode.raft.Invariants;
import dev.linden.kvnode.raft.Ready;
import dev.linden.kvnode.raft.Snapshot;
import dev.linden.kvnode.raft.TermLookup;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * The write-ahead log: segmented files of CRC32C-checked records, and a separate hard-state file.
 *
 * <p><b>Group commit.</b> A writer stage ({@code writerStage}) writes each log write as soon as it
 * arrives (no waiting to fill a batch) and keeps at most one fsync in flight; a write that arrives
 * while an fsync runs is written at once and covered by the next fsync, which starts when the current
 * one ends. Waiters complete in order when an fsync covering them completes.
 *
 * <p><b>Recovery.</b> Records are replayed in order; an index at or below the previous one replaces the
 * log from there (a follower's truncation, written append-only). A record cut short or garbled at the
 * very end of the last segment is a torn write from a crash and is truncated away (it was never
 * acknowledged). Any other bad record is corruption of data that may have been acknowledged: recovery
 * refuses with the segment, offset and reason, and never skips it.
 *
 * <p><b>Snapshots.</b> A snapshot file ({@code snap-<index>.snap}: header, state bytes, CRC32C) is
 * written to a temporary name, forced, renamed and the directory forced. Once a snapshot is durable,
 * segments holding only entries it covers are deleted. A snapshot installed from the leader replaces the
 * whole log: every segment is deleted and a new one starts after it. Recovery loads the newest snapshot
 * and the entries after it; a damaged snapshot file is refused, like a damaged record.
 *
 * <p>This class is the writer stage and recovery's order of work; the parts are apart: the record layout
 * ({@link WalRecord}), segment files ({@link SegmentFile}), replaying them ({@link SegmentReplay}),
 * reading entries back ({@link SegmentReader}), snapshot files ({@link SnapshotFile}) and the hard-state
 * file ({@link HardStateFile}).
 */
public final class WalLogStore implements LogStore {

    private final Vfs vfs;
    private final Stage writerStage;
    private final Stage snapshotStage;
    private final WalConfig config;

    // Writer-stage state.
    private VfsFile segment;
    private long segmentSeq;
    private long segmentSize;
    private final List<VfsFile> retired = new ArrayList<>();
    private long writtenSeq;
    private long syncedSeq;
    private boolean syncInFlight;
    private IOException failure;
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    /** Highest entry index in each closed segment, by sequence number (for deletion after a snapshot). */
    private final TreeMap<Long, Long> closedSegmentLastIndex = new TreeMap<>();

    private long segmentLastIndex;
    /** Lowest entry index written in each segment (0: none), by sequence number, the current one included. */
    private final TreeMap<Long, Long> segmentFirstIndex = new TreeMap<>();
    /** Snapshot stage: reads entries back for followers (evicted from the leader's memory). */
    private final SegmentReader reader;
    /** The next segment, zero-filled and forced in the background ({@code -1}: none ready). */
    private long preparedSeq = -1;

    private boolean preparing;

    private record Pending(long seq, Runnable onDurable, Consumer<Throwable> onFailure) {}

    /** Where storage events an operator should see go (recovery truncations, snapshots); must not block. */
    private volatile Consumer<String> events = e -> {};

    public void setEventSink(Consumer<String> sink) {
        this.events = sink;
    }

    public WalLogStore(Vfs vfs, Stage writerStage, WalConfig config) {
        this(vfs, writerStage, writerStage, config);
    }

    /** @param snapshotStage where the node's own snapshots are written, off the log's write path */
    public WalLogStore(Vfs vfs, Stage writerStage, Stage snapshotStage, WalConfig config) {
        this.vfs = vfs;
        this.writerStage = writerStage;
        this.snapshotStage = snapshotStage;
        this.config = config;
        this.reader = new SegmentReader(vfs);
    }

    // ------------------------------------------------------------------ recovery

    @Override
    public Recovered load() throws IOException {
        HardState hs = HardStateFile.load(vfs);
        long markedSeq = WalMarkFile.load(vfs);
        TreeMap<Long, String> segments = new TreeMap<>();
        TreeMap<Long, String> snapshotFiles = new TreeMap<>();
        for (String name : vfs.list()) {
            if (SegmentFile.seqOf(name) >= 0) {
                segments.put(SegmentFile.seqOf(name), name);
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
        Snapshot snapshot = snapshotFiles.isEmpty()
                ? null
                : SnapshotFile.read(vfs, snapshotFiles.lastEntry().getValue());
        SegmentReplay.Replay log = new SegmentReplay.Replay();
        long validEnd = 0;
        for (var it = segments.entrySet().iterator(); it.hasNext(); ) {
            var seg = it.next();
            boolean last = !it.hasNext();
            log.segmentMaxIndex = 0;
            log.segmentMinIndex = 0;
            validEnd = SegmentReplay.replaySegment(vfs, seg.getValue(), last, log);
            segmentSeq = seg.getKey();
            segmentFirstIndex.put(seg.getKey(), log.segmentMinIndex);
            if (!last) {
                closedSegmentLastIndex.put(seg.getKey(), log.segmentMaxIndex);
            }
        }
        segmentLastIndex = log.segmentMaxIndex;
        String lost = config.trustLostData() ? null : LostData.find(markedSeq, segments, validEnd, log, snapshot);
        if (lost != null) {
            hs = LostData.record(vfs, hs, lost, events);
        }
        if (!segments.isEmpty() && validEnd >= 0 && segmentSeq != markedSeq) {
            // Segments missing at the end (the loss is on record: what is here is the log from now on), a crash
            // between a segment's creation and its mark, or a data dir from before the mark: name the newest
            // segment now, before anything is written into it, so that its loss is seen from now on.
            WalMarkFile.save(vfs, segmentSeq);
        }
        if (segments.isEmpty() || validEnd < 0) {
            if (validEnd < 0) {
                vfs.delete(SegmentFile.name(segmentSeq)); // a segment whose header never became durable
                segmentSeq--;
            }
            startSegment(true);
        } else {
            segment = vfs.open(SegmentFile.name(segmentSeq), false);
            repairTail(validEnd, log, lost != null);
            segmentSize = validEnd;
            prepareNextSegment();
        }
        List<Entry> entries = log.entries;
        if (snapshot != null) {
            entries = SegmentReplay.afterSnapshot(snapshot, log);
            long last = log.base + log.entries.size();
            if (!log.entries.isEmpty() && entries.isEmpty() && last != snapshot.index()) {
                // The log stops short of the snapshot (its tail was not yet durable when the snapshot was)
                // or went another way: appending after it would leave a gap. Start the log afresh after the
                // snapshot, as an install does. A crash half-way leaves segments that are dropped again.
                segment.close();
                long fresh = segmentSeq + 1;
                startSegment(true); // first, so that at no moment is the log without its newest segment
                deleteSegmentsBefore(fresh);
            }
        } else if (log.base != 0 && !log.entries.isEmpty()) {
            throw new IOException("WAL corrupted: the log starts at index " + (log.base + 1) + " with no snapshot");
        }
        if (!entries.isEmpty() && entries.get(entries.size() - 1).term() > hs.term()) {
            throw new IOException("WAL corrupted: log holds term "
                    + entries.get(entries.size() - 1).term() + " beyond the stored current term " + hs.term());
        }
        return new Recovered(hs, snapshot, List.copyOf(entries), lost);
    }

    /**
     * The last segment after recovery: a torn write (garbage after the last valid record) is zeroed, and a
     * version-2 segment found cut short (already recorded as lost data) is given its size back, so the file
     * is again what the writer expects: valid records, then zeros, at its declared size.
     */
    private void repairTail(long validEnd, SegmentReplay.Replay log, boolean cut) throws IOException {
        if (log.allocatedBytes == 0) {
            if (segment.size() != validEnd && !log.zeroTail) {
                events.accept("event=wal-truncated segment=" + SegmentFile.name(segmentSeq) + " from-bytes="
                        + segment.size() + " to-bytes=" + validEnd + " reason=torn-tail");
                segment.truncate(validEnd);
                segment.syncNow();
            }
            return;
        }
        boolean changed = false;
        if (log.dataEnd > validEnd) {
            events.accept("event=wal-torn-tail segment=" + SegmentFile.name(segmentSeq) + " bytes=" + validEnd + ".."
                    + log.dataEnd + " action=zeroed "
                    + (cut
                            ? "(what the cut left of a record; the loss is on record)"
                            : "(the last write in flight at a crash, never acknowledged)"));
            zeroFill(segment, validEnd, Math.min(log.dataEnd, log.fileBytes));
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

    /**
     * Deletes every segment before {@code seq} (the log is replaced by a snapshot; segment {@code seq}, already
     * started and named by the mark, holds what comes after it) and forgets them.
     */
    private void deleteSegmentsBefore(long seq) throws IOException {
        for (String name : vfs.list()) {
            long s = SegmentFile.seqOf(name);
            if (s >= 0 && s < seq) {
                vfs.delete(name);
            }
        }
        vfs.syncDirectory();
        closedSegmentLastIndex.headMap(seq).clear();
        segmentFirstIndex.headMap(seq).clear();
    }

    // ------------------------------------------------------------------ hard state

    @Override
    public void saveHardState(HardState hs) throws IOException {
        HardStateFile.save(vfs, hs);
    }

    // ------------------------------------------------------------------ appends (writer stage)

    /**
     * Called on the writer stage, which is the node's raft stage ({@link dev.linden.kvnode.node.NodeStages#WAL}):
     * the write goes into the file at once, with no hand-off; {@code onDurable} runs on the writer stage too.
     */
    @Override
    public void append(Ready.LogWrite write, Runnable onDurable, Consumer<Throwable> onFailure) {
        writeNow(write, onDurable, onFailure);
    }

    private void writeNow(Ready.LogWrite write, Runnable onDurable, Consumer<Throwable> onFailure) {
        if (failure != null) {
            onFailure.accept(failure);
            return;
        }
        if (pending.size() >= config.maxPendingWrites()) {
            onFailure.accept(new IOException("WAL has " + pending.size() + " writes pending (limit)"));
            return;
        }
        if (write.snapshot() != null) {
            installNow(write.snapshot(), onDurable, onFailure);
            return;
        }
        int bytes = 0;
        for (Entry e : write.entries()) {
            bytes += WalRecord.size(e);
        }
        ByteBuffer buf = ByteBuffer.allocate(bytes);
        for (Entry e : write.entries()) {
            WalRecord.encode(e, buf);
        }
        buf.flip();
        try {
            if (segmentSize + bytes > config.maxSegmentBytes() && segmentSize > SegmentFile.HEADER_BYTES) {
                roll();
            }
            segment.write(segmentSize, buf);
        } catch (IOException e) {
            // Nothing of this write is left in the file; what was durable stays durable. Later writes must
            // not skip over this one, so the log refuses everything until it is reopened.
            failure = e;
            onFailure.accept(e);
            failPending(e);
            return;
        }
        segmentSize += bytes;
        segmentLastIndex = Math.max(segmentLastIndex, write.lastIndex());
        long first = segmentFirstIndex.getOrDefault(segmentSeq, 0L);
        if (first == 0 || write.firstIndex() < first) {
            segmentFirstIndex.put(segmentSeq, write.firstIndex());
        }
        addPending(onDurable, onFailure);
    }

    /** A write is in the file: it waits for the fsync that covers it, behind every earlier one. */
    private void addPending(Runnable onDurable, Consumer<Throwable> onFailure) {
        writtenSeq++;
        Invariants.check(
                pending.isEmpty() || pending.peekLast().seq() == writtenSeq - 1,
                "WAL pending writes out of order: last "
                        + (pending.isEmpty() ? 0 : pending.peekLast().seq()) + ", new " + writtenSeq);
        Invariants.check(
                syncedSeq < writtenSeq, "WAL synced seq " + syncedSeq + " not below written seq " + writtenSeq);
        pending.addLast(new Pending(writtenSeq, onDurable, onFailure));
        maybeSync();
    }

    private void maybeSync() {
        if (syncInFlight || syncedSeq >= writtenSeq || failure != null) {
            return;
        }
        long target = writtenSeq;
        syncInFlight = true;
        segment.sync(
                () -> writerStage.execute(() -> onSynced(target)),
                e -> writerStage.execute(() -> {
                    syncInFlight = false;
                    failure = e;
                    failPending(e);
                }));
    }

    private void onSynced(long target) {
        Invariants.check(syncInFlight, "WAL fsync of seq " + target + " completed with none in flight");
        Invariants.check(
                syncedSeq <= target && target <= writtenSeq,
                "WAL fsync covered seq " + target + ", outside synced " + syncedSeq + " .. written " + writtenSeq);
        syncInFlight = false;
        syncedSeq = target;
        while (!pending.isEmpty() && pending.peekFirst().seq() <= syncedSeq) {
            pending.pollFirst().onDurable().run();
        }
        for (VfsFile f : retired) {
            try {
                f.close();
            } catch (IOException ignored) {
                // closing a fully synced, retired segment cannot lose data
            }
        }
        retired.clear();
        maybeSync();
    }

    private void failPending(IOException e) {
        while (!pending.isEmpty()) {
            pending.pollFirst().onFailure().accept(e);
        }
    }

    private void roll() throws IOException {
        segment.syncNow(); // everything in the old segment is durable before the next one starts
        retired.add(segment);
        closedSegmentLastIndex.put(segmentSeq, segmentLastIndex);
        if (preparedSeq == segmentSeq + 1) {
            activatePrepared();
        } else {
            startSegment(false); // not ready in time: this one grows as it is written
        }
    }

    /** Zero-fills and forces the next segment on the background stage, so a roll does not wait for it. */
    private void prepareNextSegment() {
        long seq = segmentSeq + 1;
        if (!config.preallocateSegments() || preparing || preparedSeq == seq) {
            return;
        }
        preparing = true;
        snapshotStage.execute(() -> {
            boolean ok = false;
            try (VfsFile f = vfs.open(SegmentFile.preallocatedName(seq), true)) {
                f.truncate(0);
                zeroFill(f, config.maxSegmentBytes());
                f.syncNow();
                ok = true;
            } catch (IOException e) {
                // No space, say: the next segment is created when needed, unallocated.
            }
            boolean ready = ok;
            writerStage.execute(() -> {
                preparing = false;
                if (ready && seq == segmentSeq + 1) {
                    preparedSeq = seq;
                } else if (ready) {
                    try {
                        vfs.delete(SegmentFile.preallocatedName(seq));
                    } catch (IOException ignored) {
                        // deleted at the next recovery
                    }
                    prepareNextSegment();
                }
            });
        });
    }

    private static void zeroFill(VfsFile f, long bytes) throws IOException {
        zeroFill(f, 0, bytes);
    }

    /** Writes zeros over {@code [from, to)}. */
    private static void zeroFill(VfsFile f, long from, long to) throws IOException {
        ByteBuffer zeros = ByteBuffer.allocate((int) Math.min(Math.max(to - from, 1), 1 << 20));
        for (long pos = from; pos < to; ) {
            zeros.clear();
            zeros.limit((int) Math.min(zeros.capacity(), to - pos));
            f.write(pos, zeros);
            pos += zeros.limit();
        }
    }

    private void activatePrepared() throws IOException {
        long seq = segmentSeq + 1;
        // Header first, under the temporary name: a failure leaves a .pre file, never a headless segment.
        VfsFile next = vfs.open(SegmentFile.preallocatedName(seq), false);
        next.write(0, SegmentFile.header(Math.max(next.size(), config.maxSegmentBytes())));
        next.syncNow();
        vfs.rename(SegmentFile.preallocatedName(seq), SegmentFile.name(seq));
        WalMarkFile.save(vfs, seq); // before any record in it (its directory sync covers the rename above)
        segmentSeq = seq;
        segment = next;
        segmentSize = SegmentFile.HEADER_BYTES;
        segmentLastIndex = 0;
        preparedSeq = -1;
        prepareNextSegment();
    }

    // ------------------------------------------------------------------ snapshots

    /**
     * A snapshot from the leader replaces the whole log (writer stage, in order with other writes): the
     * snapshot is made durable first, then every segment is deleted and a new one starts after it. A
     * crash in between leaves old segments that recovery sees do not match the snapshot and ignores.
     */
    private void installNow(Snapshot snap, Runnable onDurable, Consumer<Throwable> onFailure) {
        try {
            SnapshotFile.write(vfs, snap);
            retired.add(segment); // closed after the next sync; a sync in flight on it may still complete
            for (String name : vfs.list()) {
                long snapIndex = SnapshotFile.indexOf(name);
                if (snapIndex >= 0 && snapIndex < snap.index()) {
                    vfs.delete(name);
                }
            }
            // A prepared segment's number may now be the new segment's own: drop it and prepare afresh.
            for (String name : vfs.list()) {
                if (SegmentFile.isPreallocated(name)) {
                    vfs.delete(name);
                }
            }
            preparedSeq = -1;
            // The new segment first, then the old ones go: a crash in between never leaves the mark naming a
            // segment that is not there (which recovery would take for lost data).
            long fresh = segmentSeq + 1;
            startSegment(true);
            deleteSegmentsBefore(fresh);
            segmentLastIndex = snap.index();
        } catch (IOException e) {
            failure = e;
            onFailure.accept(e);
            failPending(e);
            return;
        }
        addPending(onDurable, onFailure);
    }

    // ------------------------------------------------------------------ reading entries back

    @Override
    public void read(
            long fromIndex,
            int maxEntries,
            long maxBytes,
            TermLookup terms,
            Consumer<List<Entry>> onRead,
            Consumer<Throwable> onFailure) {
        writerStage.execute(() -> {
            // Where the data is, as of now (writer stage); the scan itself runs off the write path.
            TreeMap<Long, Long> firstIndexes = new TreeMap<>(segmentFirstIndex);
            long currentSeq = segmentSeq;
            long currentEnd = segmentSize;
            snapshotStage.execute(() -> {
                try {
                    onRead.accept(
                            reader.scan(fromIndex, maxEntries, maxBytes, terms, firstIndexes, currentSeq, currentEnd));
                } catch (IOException | RuntimeException e) {
                    reader.forgetCursor();
                    onFailure.accept(e);
                }
            });
        });
    }

    @Override
    public void saveSnapshot(Snapshot snap, Runnable onDurable, Consumer<Throwable> onFailure) {
        snapshotStage.execute(() -> {
            try {
                SnapshotFile.write(vfs, snap);
            } catch (IOException e) {
                onFailure.accept(e);
                return;
            }
            events.accept("event=snapshot-written index=" + snap.index() + " term=" + snap.term() + " bytes="
                    + snap.data().length);
            onDurable.run();
        });
    }

    @Override
    public void compact(long index) {
        writerStage.execute(() -> compactTo(index));
    }

    /**
     * Writer stage: deletes closed segments holding only entries through {@code index}, and snapshots older
     * than the newest one at or below it.
     */
    private void compactTo(long index) {
        try {
            boolean deleted = false;
            for (var it = closedSegmentLastIndex.entrySet().iterator(); it.hasNext(); ) {
                var seg = it.next();
                if (seg.getValue() > index) {
                    break; // segments are kept in order: a later one cannot be covered if this one is not
                }
                vfs.delete(SegmentFile.name(seg.getKey()));
                segmentFirstIndex.remove(seg.getKey());
                it.remove();
                deleted = true;
            }
            for (String name : vfs.list()) {
                long snapIndex = SnapshotFile.indexOf(name);
                if (snapIndex >= 0 && snapIndex < index) {
                    vfs.delete(name);
                    deleted = true;
                }
            }
            if (deleted) {
                vfs.syncDirectory();
            }
        } catch (IOException e) {
            // Leaving redundant files behind loses nothing; the next snapshot tries again.
        }
    }

    @Override
    public byte[] readSnapshotChunk(long index, long offset, int length) throws IOException {
        return SnapshotFile.readChunk(vfs, index, offset, length);
    }

    /**
     * Starts the next segment; {@code preallocate}: zero-fill it first (start-up, install), else it is sized
     * sparse. It is sized and its header written and forced under a temporary name, then renamed, so a
     * segment file never lacks its header or its size; the mark names it before any record goes in.
     */
    private void startSegment(boolean preallocate) throws IOException {
        segmentSeq++;
        segmentLastIndex = 0;
        String creating = SegmentFile.creatingName(segmentSeq);
        VfsFile f = vfs.open(creating, true);
        f.truncate(0);
        long allocated = config.maxSegmentBytes();
        if (preallocate && config.preallocateSegments()) {
            zeroFill(f, allocated);
        } else {
            f.write(allocated - 1, ByteBuffer.allocate(1)); // its full size at once (sparse)
        }
        f.write(0, SegmentFile.header(allocated));
        f.syncNow();
        vfs.rename(creating, SegmentFile.name(segmentSeq));
        WalMarkFile.save(vfs, segmentSeq); // its directory sync makes the rename durable first
        segment = f;
        segmentSize = SegmentFile.HEADER_BYTES;
        prepareNextSegment();
    }

    /** Closes files; pending writes stay undetermined (the node is stopping). */
    public void close() {
        writerStage.execute(() -> {
            try {
                if (segment != null) {
                    segment.close();
                }
                for (VfsFile f : retired) {
                    f.close();
                }
            } catch (IOException ignored) {
                // nothing to lose: unsynced writes were never acknowledged
            }
        });
    }
}
