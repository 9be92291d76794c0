package dev.linden.kvnode.raft;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * This node's log and what of it is durable: the in-memory {@link RaftLog}, the writes handed to storage
 * and not yet confirmed, and the highest index storage is known to hold as the memory does.
 *
 * <p>Invariants: {@code durableIndex <= log.lastIndex()}; writes complete in id order; an index counts as
 * durable only if no later write (issued or still to issue) replaces it.
 */
final class LocalLog {
    /** A write handed to storage: its id, its first index, and the last index it still vouches for. */
    private static final class PendingWrite {
        final long writeId;
        final long firstIndex;
        /** Lowered when a later change (a snapshot replacing the log) makes part of the write stale. */
        long vouchesThrough;

        PendingWrite(long writeId, long firstIndex, long lastIndex) {
            this.writeId = writeId;
            this.firstIndex = firstIndex;
            this.vouchesThrough = lastIndex;
        }
    }

    final RaftLog log;
    /** Highest index known durable on this node's disk (and matching the in-memory log). */
    long durableIndex;

    private long nextWriteId = 1;
    private final ArrayDeque<PendingWrite> pendingWrites = new ArrayDeque<>();
    /** Lowest index changed in memory since the last write was issued, Long.MAX_VALUE if none. */
    long unwrittenFromIndex = Long.MAX_VALUE;
    /** A snapshot received from the leader that replaces the stored log, to be written next. */
    private Snapshot snapshotToWrite;

    LocalLog(RaftLog log) {
        this.log = log;
        this.durableIndex = log.lastIndex();
    }

    void append(Entry e) {
        log.append(e);
        unwrittenFromIndex = Math.min(unwrittenFromIndex, e.index());
    }

    /** Drops entries from {@code index} on (a conflict with the leader's log); they are no longer durable. */
    void truncateFrom(long index) {
        log.truncateFrom(index);
        durableIndex = Math.min(durableIndex, index - 1);
    }

    /** Is there a write to issue? */
    boolean hasUnwritten() {
        return snapshotToWrite != null || unwrittenFromIndex != Long.MAX_VALUE;
    }

    /** The next write to hand to storage (a received snapshot first), or null. */
    Ready.LogWrite nextWrite(int self, long term) {
        Ready.LogWrite write = null;
        if (snapshotToWrite != null) {
            // Entries appended after the snapshot (if any) go in the next ready's write.
            write = new Ready.LogWrite(nextWriteId++, snapshotToWrite, List.of());
            snapshotToWrite = null;
        } else if (unwrittenFromIndex != Long.MAX_VALUE) {
            Invariants.check(
                    unwrittenFromIndex <= log.lastIndex(),
                    "truncation without new entries",
                    self,
                    term,
                    unwrittenFromIndex);
            List<Entry> entries = new ArrayList<>((int) (log.lastIndex() - unwrittenFromIndex + 1));
            for (long i = unwrittenFromIndex; i <= log.lastIndex(); i++) {
                entries.add(log.entry(i));
            }
            write = new Ready.LogWrite(nextWriteId++, entries);
            unwrittenFromIndex = Long.MAX_VALUE;
        }
        if (write != null) {
            pendingWrites.addLast(new PendingWrite(write.writeId(), write.firstIndex(), write.lastIndex()));
        }
        return write;
    }

    /**
     * Storage confirms the write {@code writeId} (writes complete in order). Returns true if the durable
     * index advanced.
     */
    boolean written(long writeId, int self, long term) {
        PendingWrite head = pendingWrites.pollFirst();
        Invariants.check(
                head != null && head.writeId == writeId,
                "log writes must complete in order, got " + writeId
                        + (head == null ? " with none pending" : " expected " + head.writeId),
                self,
                term,
                durableIndex);
        // Storage now holds the log as it was when this write was issued. Later truncations (pending
        // writes that replace a suffix, or in-memory changes not yet issued) make part of it stale.
        long durable = head.vouchesThrough;
        for (PendingWrite later : pendingWrites) {
            durable = Math.min(durable, later.firstIndex - 1);
        }
        if (unwrittenFromIndex != Long.MAX_VALUE) {
            durable = Math.min(durable, unwrittenFromIndex - 1);
        }
        if (durable > durableIndex) {
            durableIndex = Math.min(durable, log.lastIndex());
            return true;
        }
        return false;
    }

    /** Keeps at most {@code maxCachedEntries} payloads in memory, evicting only what is durable and applied. */
    void evictCache(long appliedIndex, int maxCachedEntries) {
        int over = log.cachedEntries() - maxCachedEntries;
        if (over <= 0) {
            return;
        }
        long evictable = Math.min(Math.min(appliedIndex, durableIndex), unwrittenFromIndex - 1);
        long to = Math.min(evictable, log.cacheFirstIndex() + over - 1);
        if (to >= log.cacheFirstIndex()) {
            log.evictTo(to);
        }
    }

    /**
     * Replaces the whole log with a snapshot from the leader. Writes still in flight may hold entries past
     * {@code oldCommit} that the snapshot replaces: they no longer count as durable log. What is at or below
     * the old commit matches the leader's.
     */
    void replaceWithSnapshot(Snapshot snap, Membership membership, long oldCommit) {
        log.resetTo(snap.index(), snap.term(), membership);
        unwrittenFromIndex = Long.MAX_VALUE;
        for (PendingWrite w : pendingWrites) {
            w.vouchesThrough = Math.min(w.vouchesThrough, oldCommit);
        }
        durableIndex = Math.min(durableIndex, oldCommit);
        snapshotToWrite = snap;
    }

    /** This node's own snapshot through {@code index} is durable, so is the log through it. */
    void snapshotDurable(long index) {
        durableIndex = Math.max(durableIndex, Math.min(index, log.lastIndex()));
    }
}
