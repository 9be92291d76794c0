package dev.linden.kvnode.raft;

import java.util.Map;
import java.util.TreeMap;

/**
 * Which configuration is in force at each point of the log (thesis §4.1: a node uses the newest
 * configuration in its log, committed or not). Kept by {@link RaftLog} itself, so every append,
 * truncation, compaction and snapshot reset updates it: a configuration entry that a new leader's log
 * truncates away is undone on the spot.
 *
 * <p>Invariants: every key is in (base index, last index of the log]; {@code base} is the configuration
 * in force at the base index (a snapshot's, or the bootstrap one).
 */
final class MembershipLog {
    /** In force through {@code baseIndex}: from a snapshot, or the bootstrap configuration. */
    private Membership base;

    private long baseIndex;
    /** Configuration entries after the base, by index. */
    private final TreeMap<Long, Membership> entries = new TreeMap<>();

    MembershipLog(long baseIndex, Membership base) {
        this.baseIndex = baseIndex;
        this.base = base;
    }

    void appended(Entry e) {
        if (e.kind() == Entry.Kind.CONFIG) {
            entries.put(e.index(), Membership.decode(e.command()));
        }
    }

    /** Entries from {@code index} on are gone: configurations they carried are undone. */
    void truncatedFrom(long index) {
        entries.tailMap(index, true).clear();
    }

    /** Entries through {@code index} are covered by a snapshot: fold them into the base. */
    void compactedTo(long index) {
        if (index <= baseIndex) {
            return;
        }
        base = at(index);
        baseIndex = index;
        entries.headMap(index, true).clear();
    }

    /** The log was replaced by a snapshot through {@code index} carrying {@code membership}. */
    void resetTo(long index, Membership membership) {
        entries.clear();
        base = membership;
        baseIndex = index;
    }

    /** The newest configuration: the one in force. */
    Membership current() {
        return entries.isEmpty() ? base : entries.lastEntry().getValue();
    }

    /** Index of the entry that set the current configuration (the base index if none after it). */
    long currentIndex() {
        return entries.isEmpty() ? baseIndex : entries.lastKey();
    }

    /** The configuration in force at {@code index} (the base one for any index at or before the base). */
    Membership at(long index) {
        Map.Entry<Long, Membership> e = entries.floorEntry(index);
        return e == null ? base : e.getValue();
    }
}
