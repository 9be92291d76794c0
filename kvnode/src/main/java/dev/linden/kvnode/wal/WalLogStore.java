package dev.linden.kvnode.wal;

import dev.linden.kvnode.node.LogStore;
import dev.linden.kvnode.node.Stage;
import dev.linden.kvnode.raft.Entry;
import dev.linden.kvnode.raft.HardState;
import dev.linden.kvnode.raft.Ready;
import dev.linden.kvnode.raft.Snapshot;
import dev.linden.kvnode.raft.SnapshotMeta;
import dev.linden.kvnode.raft.TermLookup;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The write-ahead log: segmented files of CRC32C-checked records, and a separate hard-state file.
 *
 * <p><b>Group commit.</b> A writer stage ({@code writerStage}) writes each log write as soon as it
 * arrives (no waiting to fill a batch) and keeps at most one fsync in flight; a write that arrives
 * while an fsync runs is written at once and covered by the next fsync, which starts when the current
 * one ends. Waiters complete in order when an fsync covering them completes ({@link GroupCommit}).
 *
 * <p><b>Recovery.</b> Records are replayed in order; an index at or below the previous one replaces the
 * log from there (a follower's truncation, written append-only). A record cut short or garbled at the
 * very end of the last segment is a torn write from a crash and is truncated away (it was never
 * acknowledged). Any other bad record is corruption of data that may have been acknowledged: recovery
 * refuses with the segment, offset and reason, and never skips it ({@link WalRecovery}).
 *
 * <p><b>Snapshots.</b> A snapshot file ({@code snap-<index>.snap}: header, state bytes, CRC32C) is
 * written to a temporary name, forced, renamed and the directory forced. Once a snapshot is durable,
 * segments holding only entries it covers are deleted. A snapshot installed from the leader replaces the
 * whole log: every segment is deleted and a new one starts after it. Recovery loads the newest snapshot
 * and the entries after it; a damaged snapshot file is refused, like a damaged record.
 *
 * <p>This class is the writer stage's entry point; the parts are apart: the record layout
 * ({@link WalRecord}), segment files ({@link SegmentFile}), starting and rolling them ({@link SegmentChain}),
 * replaying them ({@link SegmentReplay}), reading entries back ({@link SegmentReader}), snapshot files
 * ({@link SnapshotFile}) and the hard-state file ({@link HardStateFile}).
 */
public final class WalLogStore implements LogStore {

    private final Vfs vfs;
    private final Stage writerStage;
    private final Stage snapshotStage;
    private final WalConfig config;

    /** Writer-stage state: the segments, and the writes waiting for an fsync. */
    private final SegmentChain segments;

    private final GroupCommit commit;
    /** Largest write buffer kept for reuse: the most one batch of appends usually takes. */
    static final int MAX_KEPT_WRITE_BUFFER_BYTES = 4 << 20;
    /** Writer stage: the buffer appends are encoded into (see {@link #writeBuffer}). */
    private ByteBuffer writeBuffer = ByteBuffer.allocateDirect(64 << 10);
    /** Snapshot stage: reads entries back for followers (evicted from the leader's memory). */
    private final SegmentReader reader;

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
        this.segments = new SegmentChain(vfs, writerStage, snapshotStage, config);
        this.commit = new GroupCommit(writerStage, segments, config.maxPendingWrites());
        this.reader = new SegmentReader(vfs);
    }

    @Override
    public Recovered load() throws IOException {
        return new WalRecovery(vfs, config, segments, e -> events.accept(e)).load();
    }

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
        if (commit.refuses(onFailure)) {
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
        ByteBuffer buf = writeBuffer(bytes);
        for (Entry e : write.entries()) {
            WalRecord.encode(e, buf);
        }
        buf.flip();
        try {
            segments.write(buf, bytes, write.firstIndex(), write.lastIndex());
        } catch (IOException e) {
            commit.failed(e, onFailure);
            return;
        }
        commit.written(onDurable, onFailure);
    }

    /**
     * The writer's buffer for {@code bytes} of records: one direct buffer reused by every append (the channel
     * writes it without a copy, and a batch makes no garbage), grown to the largest batch up to
     * {@link #MAX_KEPT_WRITE_BUFFER_BYTES}; a larger batch gets a buffer of its own.
     */
    private ByteBuffer writeBuffer(int bytes) {
        if (bytes > writeBuffer.capacity()) {
            if (bytes > MAX_KEPT_WRITE_BUFFER_BYTES) {
                return ByteBuffer.allocate(bytes);
            }
            writeBuffer =
                    ByteBuffer.allocateDirect(Math.min(MAX_KEPT_WRITE_BUFFER_BYTES, Integer.highestOneBit(bytes) << 1));
        }
        return writeBuffer.clear().limit(bytes);
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
            segments.retireCurrent();
            SnapshotFile.deleteBefore(vfs, snap.index());
            segments.restartAfterInstall(snap.index());
        } catch (IOException e) {
            commit.failed(e, onFailure);
            return;
        }
        commit.written(onDurable, onFailure);
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
            TreeMap<Long, Long> firstIndexes = segments.firstIndexes();
            long currentSeq = segments.currentSeq();
            long currentEnd = segments.currentSize();
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
        snapshotStage.execute(() -> writeSnapshot(snap, onDurable, onFailure));
    }

    /** Encodes on the snapshot stage, so the apply stage goes on applying meanwhile. */
    @Override
    public void saveSnapshot(
            long index,
            long term,
            Supplier<byte[]> encode,
            Consumer<SnapshotMeta> onDurable,
            Consumer<Throwable> onFailure) {
        snapshotStage.execute(() -> {
            Snapshot snap = new Snapshot(index, term, encode.get());
            SnapshotMeta meta = SnapshotMeta.of(snap);
            writeSnapshot(snap, () -> onDurable.accept(meta), onFailure);
        });
    }

    private void writeSnapshot(Snapshot snap, Runnable onDurable, Consumer<Throwable> onFailure) {
        try {
            SnapshotFile.write(vfs, snap);
        } catch (IOException e) {
            onFailure.accept(e);
            return;
        }
        events.accept("event=snapshot-written index=" + snap.index() + " term=" + snap.term() + " bytes="
                + snap.data().length);
        onDurable.run();
    }

    @Override
    public void compact(long index) {
        writerStage.execute(() -> compactTo(index));
    }

    /**
     * Writer stage: forgets the closed segments holding only entries through {@code index}; the snapshot stage
     * deletes them and the snapshots older than the newest one at or below it. Unlinking 16 MiB segments and a
     * 27 MB snapshot and syncing the directory took 140-290 ms under the bench's load, and on the writer (the
     * raft stage) every write waited that long at each snapshot. A crash before the deletes leaves covered files,
     * which recovery skips.
     */
    private void compactTo(long index) {
        List<String> covered = segments.takeCoveredBy(index);
        snapshotStage.execute(() -> deleteCovered(covered, index));
    }

    /** Snapshot stage, where snapshot files are written too: the deletes of {@link #compactTo}. */
    private void deleteCovered(List<String> coveredSegments, long index) {
        try {
            for (String name : coveredSegments) {
                vfs.delete(name);
            }
            if (SnapshotFile.deleteBefore(vfs, index) || !coveredSegments.isEmpty()) {
                vfs.syncDirectory();
            }
        } catch (IOException e) {
            // Leaving redundant files behind loses nothing; a restart's recovery finds them covered.
        }
    }

    @Override
    public byte[] readSnapshotChunk(long index, long offset, int length) throws IOException {
        return SnapshotFile.readChunk(vfs, index, offset, length);
    }

    /** Closes files; pending writes stay undetermined (the node is stopping). */
    public void close() {
        writerStage.execute(() -> {
            try {
                segments.close();
            } catch (IOException ignored) {
                // nothing to lose: unsynced writes were never acknowledged
            }
        });
    }
}
