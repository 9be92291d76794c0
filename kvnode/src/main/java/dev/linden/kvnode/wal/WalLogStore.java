package dev.linden.kvnode.wal;

import dev.linden.kvnode.node.LogStore;
import dev.linden.kvnode.node.Scheduler;
import dev.linden.kvnode.raft.Entry;
import dev.linden.kvnode.raft.HardState;
import dev.linden.kvnode.raft.RaftCore;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

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
 */
public final class WalLogStore implements LogStore {
    static final String HARD_STATE = "hardstate";
    static final String HARD_STATE_TMP = "hardstate.tmp";
    static final int SEGMENT_MAGIC = 0x4C4E5731; // "LNW1"
    static final int SEGMENT_HEADER_BYTES = 8;
    private static final int HARD_STATE_MAGIC = 0x4C4E4853; // "LNHS"
    private static final Pattern SEGMENT_NAME = Pattern.compile("wal-(\\d{10})\\.seg");
    private static final Pattern PREALLOCATED_NAME = Pattern.compile("wal-(\\d{10})\\.seg\\.pre");
    private static final Pattern SNAPSHOT_NAME = Pattern.compile("snap-(\\d{20})\\.snap(\\.tmp)?");
    private static final int SNAPSHOT_MAGIC = 0x4C4E534E; // "LNSN"
    private static final int SNAPSHOT_HEADER_BYTES = 4 + 8 + 8 + 4;

    private final Vfs vfs;
    private final Scheduler writerStage;
    private final Scheduler snapshotStage;
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
    /** Snapshot stage: where the last read back stopped, so a follower catching up does not rescan. */
    private long cursorSeq = -1;
    private long cursorOffset;
    private long cursorNextIndex;
    /** The next segment, zero-filled and forced in the background ({@code -1}: none ready). */
    private long preparedSeq = -1;
    private boolean preparing;
    /** Recovery: whether everything after the last valid record of the last segment read is zeros. */
    private boolean zeroTail;

    private record Pending(long seq, Runnable onDurable, Consumer<Throwable> onFailure) {}

    /** Where storage events an operator should see go (recovery truncations, snapshots); must not block. */
    private volatile Consumer<String> events = e -> {};

    public void setEventSink(Consumer<String> sink) {
        this.events = sink;
    }

    public WalLogStore(Vfs vfs, Scheduler writerStage, WalConfig config) {
        this(vfs, writerStage, writerStage, config);
    }

    /** @param snapshotStage where the node's own snapshots are written, off the log's write path */
    public WalLogStore(Vfs vfs, Scheduler writerStage, Scheduler snapshotStage, WalConfig config) {
        this.vfs = vfs;
        this.writerStage = writerStage;
        this.snapshotStage = snapshotStage;
        this.config = config;
    }

    static String snapshotName(long index) {
        return String.format("snap-%020d.snap", index);
    }

    static String segmentName(long seq) {
        return String.format("wal-%010d.seg", seq);
    }

    // ------------------------------------------------------------------ recovery

    @Override
    public Recovered load() throws IOException {
        HardState hs = loadHardState();
        TreeMap<Long, String> segments = new TreeMap<>();
        TreeMap<Long, String> snapshotFiles = new TreeMap<>();
        for (String name : vfs.list()) {
            Matcher m = SEGMENT_NAME.matcher(name);
            if (m.matches()) {
                segments.put(Long.parseLong(m.group(1)), name);
            }
            if (PREALLOCATED_NAME.matcher(name).matches()) {
                vfs.delete(name); // prepared for a segment that never started: made again when needed
                continue;
            }
            Matcher sm = SNAPSHOT_NAME.matcher(name);
            if (sm.matches()) {
                if (sm.group(2) != null) {
                    vfs.delete(name); // a snapshot whose write never completed
                } else {
                    snapshotFiles.put(Long.parseLong(sm.group(1)), name);
                }
            }
        }
        Snapshot snapshot = snapshotFiles.isEmpty() ? null : readSnapshot(snapshotFiles.lastEntry().getValue());
        Replay log = new Replay();
        long validEnd = 0;
        for (var it = segments.entrySet().iterator(); it.hasNext(); ) {
            var seg = it.next();
            boolean last = !it.hasNext();
            log.segmentMaxIndex = 0;
            log.segmentMinIndex = 0;
            validEnd = replaySegment(seg.getValue(), last, log);
            segmentSeq = seg.getKey();
            segmentFirstIndex.put(seg.getKey(), log.segmentMinIndex);
            if (!last) {
                closedSegmentLastIndex.put(seg.getKey(), log.segmentMaxIndex);
            }
        }
        segmentLastIndex = log.segmentMaxIndex;
        if (segments.isEmpty() || validEnd < 0) {
            if (validEnd < 0) {
                vfs.delete(segmentName(segmentSeq)); // a segment whose header never became durable
                segmentSeq--;
            }
            startSegment(true);
        } else {
            segment = vfs.open(segmentName(segmentSeq), false);
            if (segment.size() != validEnd && !zeroTail) {
                events.accept("event=wal-truncated segment=" + segmentName(segmentSeq) + " from-bytes=" + segment.size()
                        + " to-bytes=" + validEnd + " reason=torn-tail");
                segment.truncate(validEnd);
                segment.syncNow();
            }
            segmentSize = validEnd;
            prepareNextSegment();
        }
        List<Entry> entries = log.entries;
        if (snapshot != null) {
            entries = afterSnapshot(snapshot, log);
            long last = log.base + log.entries.size();
            if (!log.entries.isEmpty() && entries.isEmpty() && last != snapshot.index()) {
                // The log stops short of the snapshot (its tail was not yet durable when the snapshot was)
                // or went another way: appending after it would leave a gap. Start the log afresh after the
                // snapshot, as an install does. A crash half-way leaves segments that are dropped again.
                segment.close();
                deleteAllSegments();
                startSegment(true);
            }
        } else if (log.base != 0 && !log.entries.isEmpty()) {
            throw new IOException("WAL corrupted: the log starts at index " + (log.base + 1) + " with no snapshot");
        }
        if (!entries.isEmpty() && entries.get(entries.size() - 1).term() > hs.term()) {
            throw new IOException("WAL corrupted: log holds term " + entries.get(entries.size() - 1).term()
                    + " beyond the stored current term " + hs.term());
        }
        return new Recovered(hs, snapshot, List.copyOf(entries));
    }

    /** The recovered entries that follow {@code snap}: none if the log diverged from it or ended before it. */
    private static List<Entry> afterSnapshot(Snapshot snap, Replay log) throws IOException {
        long last = log.base + log.entries.size();
        if (log.entries.isEmpty() || last <= snap.index()) {
            return List.of();
        }
        if (log.base > snap.index()) {
            throw new IOException("WAL corrupted: entries " + (snap.index() + 1) + ".." + log.base
                    + " after snapshot " + snap.index() + " are missing");
        }
        if (log.base < snap.index()) {
            Entry at = log.entries.get((int) (snap.index() - log.base - 1));
            if (at.term() != snap.term()) {
                return List.of(); // a snapshot from the leader replaced this log; its deletion did not finish
            }
        }
        return log.entries.subList((int) (snap.index() - log.base), log.entries.size());
    }

    /** Entries replayed so far: contiguous after {@code base}. */
    private static final class Replay {
        long base = -1;
        final ArrayList<Entry> entries = new ArrayList<>();
        long segmentMaxIndex;
        long segmentMinIndex;
    }

    /** Replays one segment into {@code log}; returns the offset where valid data ends (-1: no header). */
    private long replaySegment(String name, boolean last, Replay log) throws IOException {
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
        if (buf.remaining() < SEGMENT_HEADER_BYTES) {
            if (last) {
                return -1;
            }
            throw new IOException("WAL corrupted: segment " + name + " has no header but is not the last segment");
        }
        if (buf.getInt(0) != SEGMENT_MAGIC) {
            if (last && allZero(buf, 0)) {
                return -1; // created and zero-filled, but its header never written (a full disk, say)
            }
            throw new IOException("WAL corrupted: segment " + name + " has a bad magic number");
        }
        buf.position(SEGMENT_HEADER_BYTES);
        zeroTail = false;
        while (buf.hasRemaining()) {
            int at = buf.position();
            WalRecord.Decoded d = WalRecord.decode(buf);
            if (d.status == WalRecord.Status.OK) {
                apply(name, at, d.entry, log);
                continue;
            }
            if (allZero(buf, at)) {
                zeroTail = true;
                return at; // preallocated space never written: the end of this segment's data
            }
            if (headerIsZero(buf, at) && !validRecordAfter(buf, at)) {
                // Unwritten preallocated space with noise in it (a flipped bit): no data of ours is there.
                return at;
            }
            int claimedLen = buf.remaining() >= 4 ? buf.getInt(at) : -1;
            boolean reachesEnd = claimedLen >= 0 && claimedLen <= WalRecord.MAX_PAYLOAD_BYTES
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
            long index = buf.limit() - at >= 24 ? buf.getLong(at + 16) : -1;
            throw new IOException("WAL corrupted: segment " + name + " offset " + at
                    + (index > 0 ? " (record claims index " + index + ")" : "") + ": " + d.problem
                    + (last ? ", followed by more data" : " in a segment that is not the last")
                    + "; refusing to start rather than lose acknowledged entries");
        }
        return buf.limit();
    }

    /** Reads from {@code pos} until {@code dst} is full or the file ends; returns the bytes read. */

    /** Deletes every segment (the log is replaced by a snapshot) and forgets them; the caller starts a new one. */
    private void deleteAllSegments() throws IOException {
        for (String name : vfs.list()) {
            if (SEGMENT_NAME.matcher(name).matches()) {
                vfs.delete(name);
            }
        }
        vfs.syncDirectory();
        closedSegmentLastIndex.clear();
        segmentFirstIndex.clear();
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
            int len = buf.getInt(off);
            if (len < 0 || len > buf.limit() - off - WalRecord.HEADER_BYTES) {
                continue;
            }
            int kind = buf.get(off + 24);
            if (kind < 0 || kind > 1 || buf.getLong(off + 8) < 1 || buf.getLong(off + 16) < 1) {
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
            throw new IOException("WAL corrupted: segment " + name + " offset " + offset + " jumps from index "
                    + last + " to " + e.index());
        }
        if (e.index() <= replay.base) {
            throw new IOException("WAL corrupted: segment " + name + " offset " + offset + " rewrites index "
                    + e.index() + ", before the oldest entry kept (" + (replay.base + 1) + ")");
        }
        while (replay.base + log.size() >= e.index()) {
            log.remove(log.size() - 1);
        }
        if (!log.isEmpty() && log.get(log.size() - 1).term() > e.term()) {
            throw new IOException("WAL corrupted: segment " + name + " offset " + offset + ": term goes back at index "
                    + e.index());
        }
        log.add(e);
        replay.segmentMaxIndex = Math.max(replay.segmentMaxIndex, e.index());
        replay.segmentMinIndex = replay.segmentMinIndex == 0 ? e.index() : Math.min(replay.segmentMinIndex, e.index());
    }

    private HardState loadHardState() throws IOException {
        if (!vfs.list().contains(HARD_STATE)) {
            return HardState.INITIAL;
        }
        ByteBuffer b = ByteBuffer.allocate(20);
        try (VfsFile f = vfs.open(HARD_STATE, false)) {
            f.read(0, b);
        }
        b.flip();
        if (b.remaining() != 20 || b.getInt(0) != HARD_STATE_MAGIC) {
            throw new IOException("hard state file is corrupted (bad size or magic)");
        }
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, 16);
        if ((int) crc.getValue() != b.getInt(16)) {
            throw new IOException("hard state file is corrupted (checksum mismatch)");
        }
        return new HardState(b.getLong(4), b.getInt(12));
    }

    // ------------------------------------------------------------------ hard state

    @Override
    public void saveHardState(HardState hs) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(20);
        b.putInt(HARD_STATE_MAGIC).putLong(hs.term()).putInt(hs.votedFor() == RaftCore.NO_NODE ? 0 : hs.votedFor());
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, 16);
        b.putInt((int) crc.getValue());
        b.flip();
        VfsFiles.replaceDurably(vfs, HARD_STATE_TMP, HARD_STATE, b);
    }


    // ------------------------------------------------------------------ appends (writer stage)

    @Override
    public void append(Ready.LogWrite write, Runnable onDurable, Consumer<Throwable> onFailure) {
        writerStage.execute(() -> writeNow(write, onDurable, onFailure));
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
            if (segmentSize + bytes > config.maxSegmentBytes() && segmentSize > SEGMENT_HEADER_BYTES) {
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
        writtenSeq++;
        pending.addLast(new Pending(writtenSeq, onDurable, onFailure));
        maybeSync();
    }

    private void maybeSync() {
        if (syncInFlight || syncedSeq >= writtenSeq || failure != null) {
            return;
        }
        long target = writtenSeq;
        syncInFlight = true;
        segment.sync(() -> writerStage.execute(() -> onSynced(target)),
                e -> writerStage.execute(() -> {
                    syncInFlight = false;
                    failure = e;
                    failPending(e);
                }));
    }

    private void onSynced(long target) {
        syncInFlight = false;
        syncedSeq = Math.max(syncedSeq, target);
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

    private static String preallocatedName(long seq) {
        return segmentName(seq) + ".pre";
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
            try (VfsFile f = vfs.open(preallocatedName(seq), true)) {
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
                        vfs.delete(preallocatedName(seq));
                    } catch (IOException ignored) {
                        // deleted at the next recovery
                    }
                    prepareNextSegment();
                }
            });
        });
    }

    private static void zeroFill(VfsFile f, long bytes) throws IOException {
        ByteBuffer zeros = ByteBuffer.allocate((int) Math.min(bytes, 1 << 20));
        for (long pos = 0; pos < bytes; ) {
            zeros.clear();
            zeros.limit((int) Math.min(zeros.capacity(), bytes - pos));
            f.write(pos, zeros);
            pos += zeros.limit();
        }
    }

    private void activatePrepared() throws IOException {
        long seq = segmentSeq + 1;
        // Header first, under the temporary name: a failure leaves a .pre file, never a headless segment.
        VfsFile next = vfs.open(preallocatedName(seq), false);
        ByteBuffer header = ByteBuffer.allocate(SEGMENT_HEADER_BYTES).putInt(SEGMENT_MAGIC).putInt(1);
        header.flip();
        next.write(0, header);
        next.syncNow();
        vfs.rename(preallocatedName(seq), segmentName(seq));
        vfs.syncDirectory();
        segmentSeq = seq;
        segment = next;
        segmentSize = SEGMENT_HEADER_BYTES;
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
            writeSnapshotFile(snap);
            retired.add(segment); // closed after the next sync; a sync in flight on it may still complete
            for (String name : vfs.list()) {
                Matcher sm = SNAPSHOT_NAME.matcher(name);
                if (sm.matches() && sm.group(2) == null && Long.parseLong(sm.group(1)) < snap.index()) {
                    vfs.delete(name);
                }
            }
            deleteAllSegments();
            // A prepared segment's number may now be the new segment's own: drop it and prepare afresh.
            for (String name : vfs.list()) {
                if (PREALLOCATED_NAME.matcher(name).matches()) {
                    vfs.delete(name);
                }
            }
            preparedSeq = -1;
            startSegment(true);
            segmentLastIndex = snap.index();
        } catch (IOException e) {
            failure = e;
            onFailure.accept(e);
            failPending(e);
            return;
        }
        writtenSeq++;
        pending.addLast(new Pending(writtenSeq, onDurable, onFailure));
        maybeSync();
    }

    // ------------------------------------------------------------------ reading entries back

    @Override
    public void read(long fromIndex, int maxEntries, long maxBytes, TermLookup terms, Consumer<List<Entry>> onRead,
                     Consumer<Throwable> onFailure) {
        writerStage.execute(() -> {
            // Where the data is, as of now (writer stage); the scan itself runs off the write path.
            TreeMap<Long, Long> firstIndexes = new TreeMap<>(segmentFirstIndex);
            long currentSeq = segmentSeq;
            long currentEnd = segmentSize;
            snapshotStage.execute(() -> {
                try {
                    onRead.accept(scan(fromIndex, maxEntries, maxBytes, terms, firstIndexes, currentSeq, currentEnd));
                } catch (IOException | RuntimeException e) {
                    cursorSeq = -1;
                    onFailure.accept(e);
                }
            });
        });
    }

    /** Snapshot stage: collects the entries meant by {@code terms} from {@code fromIndex}, segment by segment. */
    private List<Entry> scan(long fromIndex, int maxEntries, long maxBytes, TermLookup terms,
                             TreeMap<Long, Long> firstIndexes, long currentSeq, long currentEnd) throws IOException {
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
            offset = SEGMENT_HEADER_BYTES;
        }
        ArrayList<Entry> out = new ArrayList<>();
        long bytes = 0;
        for (var it = firstIndexes.tailMap(seq, true).keySet().iterator(); it.hasNext(); ) {
            long s = it.next();
            long start = s == seq ? offset : SEGMENT_HEADER_BYTES;
            try (VfsFile f = vfs.open(segmentName(s), false)) {
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
                                buf = ByteBuffer.allocate(Math.min(buf.capacity() * 2, WalRecord.MAX_PAYLOAD_BYTES
                                        + WalRecord.HEADER_BYTES));
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

    @Override
    public void saveSnapshot(Snapshot snap, Runnable onDurable, Consumer<Throwable> onFailure) {
        snapshotStage.execute(() -> {
            try {
                writeSnapshotFile(snap);
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
                vfs.delete(segmentName(seg.getKey()));
                segmentFirstIndex.remove(seg.getKey());
                it.remove();
                deleted = true;
            }
            for (String name : vfs.list()) {
                Matcher sm = SNAPSHOT_NAME.matcher(name);
                if (sm.matches() && sm.group(2) == null && Long.parseLong(sm.group(1)) < index) {
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

    private void writeSnapshotFile(Snapshot snap) throws IOException {
        String name = snapshotName(snap.index());
        String tmp = name + ".tmp";
        // Header, state and checksum written in place: a snapshot can be large, so no copy of it is made.
        ByteBuffer header = ByteBuffer.allocate(SNAPSHOT_HEADER_BYTES);
        header.putInt(SNAPSHOT_MAGIC).putLong(snap.index()).putLong(snap.term()).putInt(snap.data().length);
        CRC32C crc = new CRC32C();
        crc.update(header.array(), 0, SNAPSHOT_HEADER_BYTES);
        crc.update(snap.data(), 0, snap.data().length);
        ByteBuffer trailer = ByteBuffer.allocate(4).putInt((int) crc.getValue());
        header.flip();
        trailer.flip();
        try (VfsFile f = vfs.open(tmp, true)) {
            f.truncate(0);
            f.write(0, header);
            f.write(SNAPSHOT_HEADER_BYTES, ByteBuffer.wrap(snap.data()));
            f.write(SNAPSHOT_HEADER_BYTES + (long) snap.data().length, trailer);
            f.syncNow();
        }
        vfs.rename(tmp, name);
        vfs.syncDirectory();
    }

    @Override
    public byte[] readSnapshotChunk(long index, long offset, int length) throws IOException {
        try (VfsFile f = vfs.open(snapshotName(index), false)) {
            long end = SNAPSHOT_HEADER_BYTES + offset + length;
            if (offset < 0 || end > f.size() - 4) {
                throw new IOException("snapshot " + index + " has no bytes " + offset + "+" + length);
            }
            ByteBuffer b = ByteBuffer.allocate(length);
            if (VfsFiles.readFully(f, SNAPSHOT_HEADER_BYTES + offset, b) < length) {
                throw new IOException("snapshot " + index + " ended early");
            }
            return b.array();
        }
    }

    private Snapshot readSnapshot(String name) throws IOException {
        ByteBuffer b;
        try (VfsFile f = vfs.open(name, false)) {
            long size = f.size();
            if (size < SNAPSHOT_HEADER_BYTES + 4 || size > Snapshot.MAX_BYTES + SNAPSHOT_HEADER_BYTES + 4L) {
                throw new IOException("snapshot " + name + " is corrupted: bad size " + size);
            }
            b = ByteBuffer.allocate((int) size);
            VfsFiles.readFully(f, 0, b);
            b.flip();
        }
        int len = b.getInt(20);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, b.limit() - 4);
        if (b.getInt(0) != SNAPSHOT_MAGIC || len != b.limit() - SNAPSHOT_HEADER_BYTES - 4
                || (int) crc.getValue() != b.getInt(b.limit() - 4)) {
            throw new IOException("snapshot " + name + " is corrupted (bad magic, length or checksum mismatch); "
                    + "refusing to start rather than lose acknowledged entries");
        }
        long index = b.getLong(4);
        long term = b.getLong(12);
        byte[] data = java.util.Arrays.copyOfRange(b.array(), SNAPSHOT_HEADER_BYTES, SNAPSHOT_HEADER_BYTES + len);
        return new Snapshot(index, term, data);
    }

    /** Starts the next segment in place; {@code preallocate}: zero-fill it first (start-up, install). */
    private void startSegment(boolean preallocate) throws IOException {
        segmentSeq++;
        segmentLastIndex = 0;
        segment = vfs.open(segmentName(segmentSeq), true);
        segment.truncate(0);
        if (preallocate && config.preallocateSegments()) {
            zeroFill(segment, config.maxSegmentBytes());
        }
        ByteBuffer header = ByteBuffer.allocate(SEGMENT_HEADER_BYTES).putInt(SEGMENT_MAGIC).putInt(1);
        header.flip();
        segment.write(0, header);
        segment.syncNow();
        vfs.syncDirectory();
        segmentSize = SEGMENT_HEADER_BYTES;
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
