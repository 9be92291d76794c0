package dev.linden.kvnode.raft;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The in-memory view of the log held by the core.
 * <ul>
 *   <li>Entries through {@code offsetIndex} are covered by a snapshot; the entry at {@code offsetIndex}
 *       is remembered by (index, term) so consistency checks still work ({@link #compactTo}).</li>
 *   <li>The <em>term</em> of every entry in [firstIndex, lastIndex] is known, kept as runs (terms change
 *       rarely), so log matching never needs the entries themselves.</li>
 *   <li>Entry <em>payloads</em> are cached only for [cacheFirstIndex, lastIndex]. Older entries, already
 *       durable and applied, are evicted ({@link #evictTo}) and read back from storage on the rare
 *       occasion a follower needs them: under load, entries die young instead of filling the heap.</li>
 * </ul>
 */
final class RaftLog {
    /** Cached entries, contiguous, ending at lastIndex. */
    private final Ring cache = new Ring();
    /** Index of the entry before the first held one (0 for an empty, uncompacted log). */
    private long offsetIndex;

    private long offsetTerm;
    private long lastIndex;
    /** Term runs: runStart[i] is the first index of a run of term runTerm[i]; sorted, covering (offset, last]. */
    private long[] runStart = new long[8];

    private long[] runTerm = new long[8];
    private int runs;
    /** The configuration in force at each point of this log. */
    final MembershipLog memberships;

    /** A log whose entries through {@code baseIndex} (of term {@code baseTerm}) are in a snapshot. */
    RaftLog(long baseIndex, long baseTerm, List<Entry> recovered) {
        this(baseIndex, baseTerm, Membership.EMPTY, recovered);
    }

    /** As above, with {@code baseMembership} in force at the base (the snapshot's, or the bootstrap one). */
    RaftLog(long baseIndex, long baseTerm, Membership baseMembership, List<Entry> recovered) {
        this.memberships = new MembershipLog(baseIndex, baseMembership);
        this.offsetIndex = baseIndex;
        this.offsetTerm = baseTerm;
        this.lastIndex = baseIndex;
        for (Entry e : recovered) {
            append(e);
        }
    }

    long firstIndex() {
        return offsetIndex + 1;
    }

    long lastIndex() {
        return lastIndex;
    }

    /** First index whose payload is in memory (lastIndex + 1 if none). */
    long cacheFirstIndex() {
        return lastIndex - cache.size() + 1;
    }

    int cachedEntries() {
        return cache.size();
    }

    long lastTerm() {
        return runs == 0 ? offsetTerm : runTerm[runs - 1];
    }

    /** Term of the entry at {@code index}, or -1 if it is not known (beyond the end or compacted away). */
    long term(long index) {
        if (index == offsetIndex) {
            return offsetTerm;
        }
        if (index < offsetIndex || index > lastIndex) {
            return -1;
        }
        if (index >= runStart[runs - 1]) {
            return runTerm[runs - 1];
        }
        int i = Arrays.binarySearch(runStart, 0, runs, index);
        return runTerm[i >= 0 ? i : -i - 2];
    }

    boolean matches(long index, long term) {
        return term(index) == term;
    }

    boolean isCached(long index) {
        return index >= cacheFirstIndex() && index <= lastIndex;
    }

    Entry entry(long index) {
        if (!isCached(index)) {
            throw new IndexOutOfBoundsException("entry " + index + " not in memory [" + cacheFirstIndex() + ", "
                    + lastIndex + "] (log from " + firstIndex() + ")");
        }
        return cache.get((int) (index - cacheFirstIndex()));
    }

    void append(Entry e) {
        if (e.index() != lastIndex + 1) {
            throw new InvariantViolation("log append not contiguous: have last " + lastIndex + ", got " + e);
        }
        if (e.term() < lastTerm()) {
            throw new InvariantViolation("log terms must not decrease: last term " + lastTerm() + ", got " + e);
        }
        if (runs == 0 || e.term() != runTerm[runs - 1]) {
            if (runs == runStart.length) {
                runStart = Arrays.copyOf(runStart, runs * 2);
                runTerm = Arrays.copyOf(runTerm, runs * 2);
            }
            runStart[runs] = e.index();
            runTerm[runs] = e.term();
            runs++;
        }
        cache.addLast(e);
        lastIndex = e.index();
        memberships.appended(e);
    }

    /** Removes every entry with index >= {@code index}. Entries from there on must all be cached. */
    void truncateFrom(long index) {
        if (index <= offsetIndex) {
            throw new InvariantViolation("cannot truncate at " + index + ", compacted through " + offsetIndex);
        }
        if (index < cacheFirstIndex()) {
            throw new InvariantViolation("cannot truncate at " + index + ": evicted entries are committed");
        }
        while (lastIndex >= index) {
            cache.pollLast();
            lastIndex--;
        }
        while (runs > 0 && runStart[runs - 1] > lastIndex) {
            runs--;
        }
        memberships.truncatedFrom(index);
    }

    /** Cached entries from {@code from} on, at most {@code maxEntries} and {@code maxBytes} (at least one if any). */
    List<Entry> slice(long from, int maxEntries, long maxBytes) {
        List<Entry> out = new ArrayList<>();
        if (from > lastIndex) {
            return out;
        }
        if (!isCached(from)) {
            throw new IndexOutOfBoundsException("slice from evicted entry " + from);
        }
        long bytes = 0;
        for (int k = (int) (from - cacheFirstIndex()); k < cache.size() && out.size() < maxEntries; k++) {
            Entry e = cache.get(k);
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
        return otherLastTerm > lastTerm() || (otherLastTerm == lastTerm() && otherLastIndex >= lastIndex);
    }

    /** Index of the newest entry dropped by compaction (0 if none). */
    long compactedIndex() {
        return offsetIndex;
    }

    /**
     * Throws every entry away: the log now starts after a snapshot at ({@code index}, {@code term}), whose
     * configuration is {@code membership}.
     */
    void resetTo(long index, long term, Membership membership) {
        memberships.resetTo(index, membership);
        cache.clear();
        runs = 0;
        offsetIndex = index;
        offsetTerm = term;
        lastIndex = index;
    }

    /** Drops entries through {@code index} (they are covered by a snapshot). */
    void compactTo(long index) {
        if (index <= offsetIndex) {
            return;
        }
        if (index > lastIndex) {
            throw new InvariantViolation("cannot compact to " + index + " beyond the last entry " + lastIndex);
        }
        long t = term(index);
        memberships.compactedTo(index);
        evictTo(index);
        offsetIndex = index;
        offsetTerm = t;
        int firstKept = 0;
        while (firstKept + 1 < runs && runStart[firstKept + 1] <= index + 1) {
            firstKept++;
        }
        if (firstKept > 0) {
            System.arraycopy(runStart, firstKept, runStart, 0, runs - firstKept);
            System.arraycopy(runTerm, firstKept, runTerm, 0, runs - firstKept);
            runs -= firstKept;
        }
        if (runs > 0) {
            if (runStart[0] <= index) {
                runStart[0] = index + 1;
            }
            if (runStart[0] > lastIndex) {
                runs = 0; // no entries after the compaction point
            }
        }
    }

    /** Drops cached payloads through {@code index}; their terms stay known. */
    void evictTo(long index) {
        while (!cache.isEmpty() && cacheFirstIndex() <= index) {
            cache.pollFirst();
        }
    }

    /** The term of every index in (compactedIndex, lastIndex], frozen (for reading entries back from storage). */
    TermLookup termLookup() {
        return new TermLookup(offsetIndex, lastIndex, Arrays.copyOf(runStart, runs), Arrays.copyOf(runTerm, runs));
    }

    /** A growable ring of entries with O(1) access by position, removal at both ends. */
    private static final class Ring {
        private Entry[] items = new Entry[64];
        private int head;
        private int size;

        int size() {
            return size;
        }

        boolean isEmpty() {
            return size == 0;
        }

        Entry get(int k) {
            return items[(head + k) & (items.length - 1)];
        }

        void addLast(Entry e) {
            if (size == items.length) {
                Entry[] grown = new Entry[items.length * 2];
                for (int k = 0; k < size; k++) {
                    grown[k] = get(k);
                }
                items = grown;
                head = 0;
            }
            items[(head + size) & (items.length - 1)] = e;
            size++;
        }

        void pollFirst() {
            items[head] = null;
            head = (head + 1) & (items.length - 1);
            size--;
        }

        void pollLast() {
            items[(head + size - 1) & (items.length - 1)] = null;
            size--;
        }

        void clear() {
            Arrays.fill(items, null);
            head = 0;
            size = 0;
        }
    }
}
