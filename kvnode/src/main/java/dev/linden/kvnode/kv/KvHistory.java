package dev.linden.kvnode.kv;

import java.util.ArrayList;
import java.util.List;

/**
 * The store's recent changes, for watches: each put and delete as an event, in revision order (events of one
 * entry share its revision, in the order they were written), on the apply stage. Bounded by bytes and count: the
 * oldest go first, and a watch that asks for a revision no longer held is told it was compacted (a restored
 * snapshot starts the history at its revision). Local to each replica: which events a node still holds does not
 * touch the replicated state.
 */
final class KvHistory {
    /** Bytes of keys and values the history holds at most. */
    static final long DEFAULT_MAX_BYTES = 16L << 20;
    /** Events it holds at most. */
    static final int DEFAULT_MAX_EVENTS = 200_000;

    /** Bytes an event costs beside its key and values (object, numbers, array headers; about). */
    private static final int EVENT_OVERHEAD_BYTES = 96;

    /** The events, oldest at {@code head}, in a ring that grows up to maxEvents. */
    private KvEvent[] ring;

    private int head;
    private int size;
    private final long maxBytes;
    private final int maxEvents;
    private long bytes;
    /** Events of revisions up to this one may be gone: a watch must start after it. */
    private long compactedRevision;

    KvHistory(long maxBytes, int maxEvents) {
        if (maxBytes < 1 || maxEvents < 1) {
            throw new IllegalArgumentException("a history holds at least one byte and one event");
        }
        this.maxBytes = maxBytes;
        this.maxEvents = maxEvents;
        this.ring = new KvEvent[Math.min(1024, maxEvents)];
    }

    void record(KvEvent e) {
        if (size > 0 && e.revision() < at(size - 1).revision()) {
            throw new IllegalStateException("event of revision " + e.revision() + " after "
                    + at(size - 1).revision());
        }
        if (size == maxEvents) {
            dropOldest();
        } else if (size == ring.length) {
            KvEvent[] bigger = new KvEvent[(int) Math.min(maxEvents, 2L * ring.length)];
            for (int i = 0; i < size; i++) {
                bigger[i] = at(i);
            }
            ring = bigger;
            head = 0;
        }
        ring[(head + size++) % ring.length] = e;
        bytes += cost(e);
        while (bytes > maxBytes && size > 1) {
            dropOldest();
        }
    }

    private void dropOldest() {
        KvEvent gone = ring[head];
        ring[head] = null;
        head = (head + 1) % ring.length;
        size--;
        bytes -= cost(gone);
        compactedRevision = Math.max(compactedRevision, gone.revision());
    }

    private KvEvent at(int i) {
        return ring[(head + i) % ring.length];
    }

    /** A history that starts after {@code revision} (a restored snapshot's): nothing before it is held. */
    void resetAt(long revision) {
        ring = new KvEvent[Math.min(1024, maxEvents)];
        head = 0;
        size = 0;
        bytes = 0;
        compactedRevision = revision;
    }

    long compactedRevision() {
        return compactedRevision;
    }

    /** Events of a page, and where the next page starts: at that revision, after skipping that many of its events. */
    record Page(List<KvEvent> events, long nextRevision, int nextSkip) {}

    /**
     * Up to {@code budgetBytes} of the events in {@code range} from the {@code skip}-th event of {@code
     * fromRevision} on, in order (the first always, however large), with where to go on; when every event held was
     * read, the next page starts after {@code storeRevision}. Null if events from there are no longer held.
     */
    Page from(long fromRevision, int skip, KvRange range, long budgetBytes, long storeRevision) {
        if (fromRevision <= compactedRevision) {
            return null;
        }
        // The first event at or after the start revision, by binary search.
        int lo = 0;
        int hi = size;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (at(mid).revision() < fromRevision) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        List<KvEvent> out = new ArrayList<>();
        long used = 0;
        long revision = -1;
        int position = 0; // of the event at hand among all events of its revision
        for (int i = lo; i < size; i++) {
            KvEvent e = at(i);
            position = e.revision() == revision ? position + 1 : 0;
            revision = e.revision();
            if (revision == fromRevision && position < skip) {
                continue;
            }
            if (!range.contains(e.key())) {
                continue;
            }
            long c = cost(e);
            if (!out.isEmpty() && used + c > budgetBytes) {
                return new Page(out, revision, position);
            }
            out.add(e);
            used += c;
        }
        return new Page(out, Math.max(fromRevision, storeRevision + 1), 0);
    }

    int size() {
        return size;
    }

    private static long cost(KvEvent e) {
        return EVENT_OVERHEAD_BYTES
                + e.key().length() * 2L
                + (e.value() == null ? 0 : e.value().length)
                + (e.prevValue() == null ? 0 : e.prevValue().length);
    }
}
