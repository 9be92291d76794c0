package dev.linden.kvnode.wal;

import dev.linden.kvnode.node.Stage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * The WAL's segments as the writer stage sees them: the one being written, the closed ones and which
 * entries each holds, and the next one, zero-filled ahead of need. Starting a segment (header forced under
 * a temporary name, renamed, then named by the mark before any record goes in), rolling to the next, and
 * deleting segments a snapshot covers. Every method but the background fill runs on the writer stage.
 */
final class SegmentChain {
    private final Vfs vfs;
    private final Stage writerStage;
    private final Stage backgroundStage;
    private final WalConfig config;

    private VfsFile segment;
    private long segmentSeq;
    private long segmentSize;
    private long segmentLastIndex;
    /** Closed segments, not yet closed as files: closed after the next fsync (one on them may be in flight). */
    private final List<VfsFile> retired = new ArrayList<>();
    /** Highest entry index in each closed segment, by sequence number (for deletion after a snapshot). */
    private final TreeMap<Long, Long> closedSegmentLastIndex = new TreeMap<>();
    /** Lowest entry index written in each segment (0: none), by sequence number, the current one included. */
    private final TreeMap<Long, Long> segmentFirstIndex = new TreeMap<>();
    /** The next segment, zero-filled and forced in the background ({@code -1}: none ready). */
    private long preparedSeq = -1;

    private boolean preparing;

    /** @param backgroundStage where the next segment is zero-filled, off the write path */
    SegmentChain(Vfs vfs, Stage writerStage, Stage backgroundStage, WalConfig config) {
        this.vfs = vfs;
        this.writerStage = writerStage;
        this.backgroundStage = backgroundStage;
        this.config = config;
    }

    /** The segment being written. */
    VfsFile current() {
        return segment;
    }

    long currentSeq() {
        return segmentSeq;
    }

    /** Where valid data in the current segment ends. */
    long currentSize() {
        return segmentSize;
    }

    /** Lowest entry index written in each segment (0: none), by sequence number: a copy. */
    TreeMap<Long, Long> firstIndexes() {
        return new TreeMap<>(segmentFirstIndex);
    }

    // ------------------------------------------------------------------ recovery

    /** Recovery replayed segment {@code seq}; {@code closed}: it is not the last one. */
    void replayed(long seq, long minIndex, long maxIndex, boolean closed) {
        segmentSeq = seq;
        segmentFirstIndex.put(seq, minIndex);
        if (closed) {
            closedSegmentLastIndex.put(seq, maxIndex);
        }
    }

    /** Recovery's last segment, replayed: its highest entry index. */
    void lastReplayed(long maxIndex) {
        segmentLastIndex = maxIndex;
    }

    /** Recovery deletes the last segment, whose header never became durable. */
    void dropHeadless() throws IOException {
        vfs.delete(SegmentFile.name(segmentSeq));
        segmentSeq--;
    }

    /** Recovery opens the last segment again, to repair its tail and then write on ({@link #resumeAt}). */
    VfsFile reopenLast() throws IOException {
        segment = vfs.open(SegmentFile.name(segmentSeq), false);
        return segment;
    }

    /** Recovery made the last segment whole: writing goes on at {@code validEnd}. */
    void resumeAt(long validEnd) {
        segmentSize = validEnd;
        prepareNext();
    }

    /** Recovery found the log short of the snapshot: a fresh segment, and every earlier one deleted. */
    void restartAfterRecoveredSnapshot() throws IOException {
        segment.close();
        long fresh = segmentSeq + 1;
        start(true); // first, so that at no moment is the log without its newest segment
        deleteBefore(fresh);
    }

    // ------------------------------------------------------------------ writing

    /**
     * Writes {@code bytes} of records at the end of the current segment, rolling first if they do not fit;
     * on failure nothing of it counts as written (what reached the file is a torn tail; the segment keeps its
     * size).
     */
    void write(ByteBuffer buf, int bytes, long firstIndex, long lastIndex) throws IOException {
        if (segmentSize + bytes > config.maxSegmentBytes() && segmentSize > SegmentFile.HEADER_BYTES) {
            roll();
        }
        segment.write(segmentSize, buf);
        segmentSize += bytes;
        segmentLastIndex = Math.max(segmentLastIndex, lastIndex);
        long first = segmentFirstIndex.getOrDefault(segmentSeq, 0L);
        if (first == 0 || firstIndex < first) {
            segmentFirstIndex.put(segmentSeq, firstIndex);
        }
    }

    /** After an fsync: the segments closed before it are wholly durable and their files are closed. */
    void closeRetired() {
        for (VfsFile f : retired) {
            try {
                f.close();
            } catch (IOException ignored) {
                // closing a fully synced, retired segment cannot lose data
            }
        }
        retired.clear();
    }

    private void roll() throws IOException {
        segment.syncNow(); // everything in the old segment is durable before the next one starts
        retired.add(segment);
        closedSegmentLastIndex.put(segmentSeq, segmentLastIndex);
        if (preparedSeq == segmentSeq + 1) {
            activatePrepared();
        } else {
            start(false); // not ready in time: this one grows as it is written
        }
    }

    /** Zero-fills and forces the next segment on the background stage, so a roll does not wait for it. */
    private void prepareNext() {
        long seq = segmentSeq + 1;
        if (!config.preallocateSegments() || preparing || preparedSeq == seq) {
            return;
        }
        preparing = true;
        backgroundStage.execute(() -> {
            boolean ok = false;
            try (VfsFile f = vfs.open(SegmentFile.preallocatedName(seq), true)) {
                f.truncate(0);
                zeroFill(f, 0, config.maxSegmentBytes());
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
                    prepareNext();
                }
            });
        });
    }

    /** Writes zeros over {@code [from, to)}. */
    static void zeroFill(VfsFile f, long from, long to) throws IOException {
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
        prepareNext();
    }

    /**
     * Starts the next segment; {@code preallocate}: zero-fill it first (start-up, install), else it is sized
     * sparse. It is sized and its header written and forced under a temporary name, then renamed, so a
     * segment file never lacks its header or its size; the mark names it before any record goes in.
     */
    void start(boolean preallocate) throws IOException {
        segmentSeq++;
        segmentLastIndex = 0;
        String creating = SegmentFile.creatingName(segmentSeq);
        VfsFile f = vfs.open(creating, true);
        f.truncate(0);
        long allocated = config.maxSegmentBytes();
        if (preallocate && config.preallocateSegments()) {
            zeroFill(f, 0, allocated);
        } else {
            f.write(allocated - 1, ByteBuffer.allocate(1)); // its full size at once (sparse)
        }
        f.write(0, SegmentFile.header(allocated));
        f.syncNow();
        vfs.rename(creating, SegmentFile.name(segmentSeq));
        WalMarkFile.save(vfs, segmentSeq); // its directory sync makes the rename durable first
        segment = f;
        segmentSize = SegmentFile.HEADER_BYTES;
        prepareNext();
    }

    // ------------------------------------------------------------------ snapshots

    /** An installed snapshot replaces the log: the current segment is closed after the next sync. */
    void retireCurrent() {
        retired.add(segment); // a sync in flight on it may still complete
    }

    /**
     * After an installed snapshot through {@code snapIndex}: a new segment, then every older one deleted.
     * A crash in between never leaves the mark naming a segment that is not there (which recovery would
     * take for lost data).
     */
    void restartAfterInstall(long snapIndex) throws IOException {
        // A prepared segment's number may now be the new segment's own: drop it and prepare afresh.
        for (String name : vfs.list()) {
            if (SegmentFile.isPreallocated(name)) {
                vfs.delete(name);
            }
        }
        preparedSeq = -1;
        long fresh = segmentSeq + 1;
        start(true);
        deleteBefore(fresh);
        segmentLastIndex = snapIndex;
    }

    /**
     * Deletes every segment before {@code seq} (the log is replaced by a snapshot; segment {@code seq}, already
     * started and named by the mark, holds what comes after it) and forgets them.
     */
    private void deleteBefore(long seq) throws IOException {
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

    /**
     * Forgets the closed segments holding only entries through {@code index} and returns their names, oldest
     * first, for the caller to delete (off the writer: unlinking them and syncing the directory is slow).
     */
    List<String> takeCoveredBy(long index) {
        List<String> names = new ArrayList<>();
        for (var it = closedSegmentLastIndex.entrySet().iterator(); it.hasNext(); ) {
            var seg = it.next();
            if (seg.getValue() > index) {
                break; // segments are kept in order: a later one cannot be covered if this one is not
            }
            names.add(SegmentFile.name(seg.getKey()));
            segmentFirstIndex.remove(seg.getKey());
            it.remove();
        }
        return names;
    }

    /** Closes the files (the node is stopping). */
    void close() throws IOException {
        if (segment != null) {
            segment.close();
        }
        for (VfsFile f : retired) {
            f.close();
        }
    }
}
