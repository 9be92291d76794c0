package dev.linden.kvnode.node;

import dev.linden.kvnode.raft.Entry;
import dev.linden.kvnode.raft.HardState;
import dev.linden.kvnode.raft.Ready;
import dev.linden.kvnode.raft.Snapshot;
import dev.linden.kvnode.raft.SnapshotMeta;
import dev.linden.kvnode.raft.TermLookup;
import java.io.IOException;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Durable Raft state: the term/vote and the log. Implementations: the production WAL over files, the
 * same WAL over the simulator's file API, and an in-memory store for tests.
 */
public interface LogStore {
    /**
     * What a restarted node recovers: the newest durable snapshot (null if none) and the entries after
     * it, contiguous from its index + 1 (from 1 without a snapshot).
     */
    /**
     * @param lostData null, or what storage found missing that may have been acknowledged (the log's tail
     *                 cut, segments gone); the hard state then already records the loss durably
     */
    record Recovered(HardState hardState, Snapshot snapshot, List<Entry> entries, String lostData) {
        public Recovered(HardState hardState, Snapshot snapshot, List<Entry> entries) {
            this(hardState, snapshot, entries, null);
        }

        public Recovered(HardState hardState, List<Entry> entries) {
            this(hardState, null, entries);
        }

        /** The last index held, in the log or the snapshot (0: none). */
        public long lastIndex() {
            long snap = snapshot == null ? 0 : snapshot.index();
            return entries.isEmpty()
                    ? snap
                    : Math.max(snap, entries.get(entries.size() - 1).index());
        }
    }

    /** Reads back everything durable. Fails with a clear message on corruption, never skips it. */
    Recovered load() throws IOException;

    /** Makes the term and vote durable before returning. */
    void saveHardState(HardState hardState) throws IOException;

    /**
     * Appends the write's entries, replacing any stored entries at or after its first index. Writes are
     * made durable in submission order; {@code onDurable} runs once this write and all earlier ones are
     * durable, and {@code onFailure} if the write could not be made durable (disk full): a failed write loses
     * nothing already durable. Called on the raft stage, which is the log's writer stage
     * ({@link NodeStages#WAL}); {@code onDurable} runs on that stage too, never inside this call, so the node
     * acts on it without a hand-off. {@code onFailure} may run on any thread, inside this call included.
     */
    void append(Ready.LogWrite write, Runnable onDurable, Consumer<Throwable> onFailure);

    /**
     * Makes this node's own snapshot durable, off the write path; once it is, log entries it covers may
     * be deleted from storage. {@code onDurable} or {@code onFailure} runs once, on any thread. A failed
     * snapshot loses nothing: the log still holds every entry.
     */
    void saveSnapshot(Snapshot snapshot, Runnable onDurable, Consumer<Throwable> onFailure);

    /**
     * As {@link #saveSnapshot(Snapshot, Runnable, Consumer)}, with the bytes made by {@code encode} where the
     * store does its snapshot work, off the apply stage and the write path (this default encodes at once, on
     * the caller's stage). {@code onDurable} gets what was made durable.
     */
    default void saveSnapshot(
            long index,
            long term,
            Supplier<byte[]> encode,
            Consumer<SnapshotMeta> onDurable,
            Consumer<Throwable> onFailure) {
        Snapshot snap = new Snapshot(index, term, encode.get());
        SnapshotMeta meta = SnapshotMeta.of(snap);
        saveSnapshot(snap, () -> onDurable.accept(meta), onFailure);
    }

    /**
     * The log through {@code index} is covered by a durable snapshot and no longer needed: storage may
     * delete it (whole files at a time). Never called beyond the newest durable snapshot.
     */
    default void compact(long index) {}

    /**
     * Bytes [{@code offset}, {@code offset + length}) of the durable snapshot at {@code index} (to send to
     * a follower). Snapshots are read back from storage rather than kept in memory. Throws if that
     * snapshot is not (or no longer) stored.
     */
    byte[] readSnapshotChunk(long index, long offset, int length) throws IOException;

    /**
     * Reads durable entries back, from {@code fromIndex} on, at most {@code maxEntries} and about
     * {@code maxBytes}, off the write path. Only records whose term is {@code terms.termOf(index)} are the
     * entries meant (storage may hold stale versions of an index). Calls {@code onRead} (on any thread)
     * with the contiguous run found, possibly empty, or {@code onFailure}.
     */
    void read(
            long fromIndex,
            int maxEntries,
            long maxBytes,
            TermLookup terms,
            Consumer<List<Entry>> onRead,
            Consumer<Throwable> onFailure);
}
