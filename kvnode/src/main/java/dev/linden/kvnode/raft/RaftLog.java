package dev.linden.kvnode.raft;

import java.util.ArrayList;
import java.util.List;

/**
 * The in-memory view of the log held by the core. Entries [firstIndex, lastIndex] are present; the
 * entry just before {@code firstIndex} is remembered by (index, term) so consistency checks still work
 * after compaction (snapshots slot in here: {@link #compactTo}).
 */
final class RaftLog {
    private final ArrayList<Entry> entries = new ArrayList<>();
    /** Index of the entry before the first held one (0 for an empty, uncompacted log). */
    private long offsetIndex;
    private long offsetTerm;

    /** A log whose entries through {@code baseIndex} (of term {@code baseTerm}) are in a snapshot. */
    RaftLog(long baseIndex, long baseTerm, List<Entry> recovered) {
        this.offsetIndex = baseIndex;
        this.offsetTerm = baseTerm;
        for (Entry e : recovered) {
            append(e);
        }
    }

    long firstIndex() {
        return offsetIndex + 1;
    }

    long lastIndex() {
        return offsetIndex + entries.size();
    }

    long lastTerm() {
        return entries.isEmpty() ? offsetTerm : entries.get(entries.size() - 1).term();
    }

    /** Term of the entry at {@code index}, or -1 if it is not known (beyond the end or compacted away). */
    long term(long index) {
        if (index == offsetIndex) {
            return offsetTerm;
        }
        if (index < offsetIndex || index > lastIndex()) {
            return -1;
        }
        return entries.get((int) (index - offsetIndex - 1)).term();
    }

    boolean matches(long index, long term) {
        return term(index) == term;
    }

    Entry entry(long index) {
        if (index <= offsetIndex || index > lastIndex()) {
            throw new IndexOutOfBoundsException("no entry " + index + " in [" + firstIndex() + ", " + lastIndex() + "]");
        }
        return entries.get((int) (index - offsetIndex - 1));
    }

    void append(Entry e) {
        if (e.index() != lastIndex() + 1) {
            throw new InvariantViolation("log append not contiguous: have last " + lastIndex() + ", got " + e);
        }
        if (e.term() < lastTerm()) {
            throw new InvariantViolation("log terms must not decrease: last term " + lastTerm() + ", got " + e);
        }
        entries.add(e);
    }

    /** Removes every entry with index >= {@code index}. */
    void truncateFrom(long index) {
        if (index <= offsetIndex) {
            throw new InvariantViolation("cannot truncate at " + index + ", compacted through " + offsetIndex);
        }
        int keep = (int) (index - offsetIndex - 1);
        while (entries.size() > keep) {
            entries.remove(entries.size() - 1);
        }
    }

    /** Entries from {@code from} on, at most {@code maxEntries} and {@code maxBytes} (at least one if any). */
    List<Entry> slice(long from, int maxEntries, long maxBytes) {
        List<Entry> out = new ArrayList<>();
        long bytes = 0;
        for (long i = from; i <= lastIndex() && out.size() < maxEntries; i++) {
            Entry e = entry(i);
            if (!out.isEmpty() && bytes + e.sizeBytes() > maxBytes) {
                break;
            }
            bytes += e.sizeBytes();
            out.add(e);
        }
        return out;
    }

    /** Is a log ending at (lastIndex, lastTerm) at least as up-to-date as ours (Raft §5.4.1)? */
    boolean isUpToDate(long otherLastIndex, long otherLastTerm) {
        return otherLastTerm > lastTerm() || (otherLastTerm == lastTerm() && otherLastIndex >= lastIndex());
    }

    /** Index of the newest entry dropped by compaction (0 if none). */
    long compactedIndex() {
        return offsetIndex;
    }

    /** Throws every entry away: the log now starts after a snapshot at ({@code index}, {@code term}). */
    void resetTo(long index, long term) {
        entries.clear();
        offsetIndex = index;
        offsetTerm = term;
    }

    /** Drops entries through {@code index} (they are covered by a snapshot). */
    void compactTo(long index) {
        if (index <= offsetIndex) {
            return;
        }
        if (index > lastIndex()) {
            throw new InvariantViolation("cannot compact to " + index + " beyond the last entry " + lastIndex());
        }
        long t = term(index);
        int drop = (int) (index - offsetIndex);
        entries.subList(0, Math.min(drop, entries.size())).clear();
        offsetIndex = index;
        offsetTerm = t;
    }
}
