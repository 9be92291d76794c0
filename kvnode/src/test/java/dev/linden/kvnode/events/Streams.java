package dev.linden.kvnode.events;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Hand-made event streams for monitor tests: numbers each node's events and stamps a growing time. */
final class Streams {
    private final Map<Integer, Long> seq = new HashMap<>();
    private final List<NodeEvent> events = new ArrayList<>();
    private long now = 1_000;

    private long next(int node) {
        return seq.merge(node, 1L, Long::sum);
    }

    private long at() {
        return now += 10;
    }

    Streams started(int node, long term, int vote, long snapshotIndex) {
        seq.put(node, 0L);
        events.add(new NodeEvent.Started(at(), node, next(node), term, vote, snapshotIndex, 0));
        return this;
    }

    /** The node (re)started holding its log through {@code lastIndex}, reporting lost log through {@code lost}. */
    Streams startedHolding(int node, long term, long lastIndex, long lost) {
        seq.put(node, 0L);
        events.add(new NodeEvent.Started(at(), node, next(node), term, 0, 0, lost, lastIndex));
        return this;
    }

    /** Leader {@code node} of {@code term} committed {@code index} counting {@code counted} as holding it. */
    Streams commitCounting(int node, long term, long index, int... counted) {
        events.add(new NodeEvent.CommitAdvanced(at(), node, next(node), term, true, index, term, counted));
        return this;
    }

    /** The node restarted, and the event saying so was lost: its numbering starts over. */
    Streams startLost(int node) {
        seq.put(node, 0L);
        return this;
    }

    Streams saved(int node, long term, int vote) {
        events.add(new NodeEvent.HardStateSaved(at(), node, next(node), term, vote));
        return this;
    }

    Streams voted(int node, long term, int candidate) {
        events.add(new NodeEvent.VoteGranted(at(), node, next(node), term, candidate));
        return this;
    }

    /** Leader of {@code term} whose log after {@code afterIndex} has these (start, term) runs, ending at last. */
    Streams leader(int node, long term, long afterIndex, long lastIndex, long... runs) {
        long[] start = new long[runs.length / 2];
        long[] terms = new long[runs.length / 2];
        for (int i = 0; i < start.length; i++) {
            start[i] = runs[2 * i];
            terms[i] = runs[2 * i + 1];
        }
        events.add(new NodeEvent.LeaderElected(at(), node, next(node), term, afterIndex, lastIndex, start, terms));
        return this;
    }

    Streams membership(int node, long index, long commitIndex, boolean asLeader, int... voters) {
        events.add(new NodeEvent.MembershipInForce(at(), node, next(node), voters, index, commitIndex, asLeader));
        return this;
    }

    Streams commit(int node, long term, boolean asLeader, long index, long entryTerm) {
        events.add(new NodeEvent.CommitAdvanced(at(), node, next(node), term, asLeader, index, entryTerm));
        return this;
    }

    /** Applied {@code count} entries from {@code from}, all of {@code term}, hashes {@code hashBase + index}. */
    Streams applied(int node, long from, int count, long term, int hashBase) {
        long[] terms = new long[count];
        int[] hashes = new int[count];
        for (int i = 0; i < count; i++) {
            terms[i] = term;
            hashes[i] = hashBase + (int) from + i;
        }
        events.add(new NodeEvent.Applied(at(), node, next(node), from, terms, hashes));
        return this;
    }

    Streams snapshot(int node, boolean taken, long index, long digest) {
        events.add(new NodeEvent.SnapshotNoted(at(), node, next(node), taken, index, 1, digest));
        return this;
    }

    Streams role(int node, long term, String role) {
        events.add(new NodeEvent.RoleChanged(at(), node, next(node), term, role, 0));
        return this;
    }

    /** Skips {@code n} sequence numbers of {@code node}: events it dropped. */
    Streams drop(int node, int n) {
        seq.merge(node, (long) n, Long::sum);
        return this;
    }

    List<NodeEvent> events() {
        return events;
    }

    /** The violations a monitor finds in this stream. */
    private final List<Object[]> losses = new ArrayList<>();

    /** The world destroys WAL records of {@code node} now, after its last event so far (told before the feed). */
    Streams walLost(int node, String what) {
        NodeEvent last = null;
        for (NodeEvent e : events) {
            if (e.node() == node) {
                last = e;
            }
        }
        losses.add(new Object[] {node, last == null ? 0L : last.seq(), last == null ? 0L : last.atMillis(), what});
        return this;
    }

    /** Feeds every event, in order, to {@code m}. */
    void feed(EventMonitor m) {
        events.forEach(m::accept);
    }

    List<Violation> check() {
        EventMonitor m = new EventMonitor();
        for (Object[] l : losses) {
            m.walRecordsLost((Integer) l[0], (Long) l[1], (Long) l[2], (String) l[3]);
        }
        events.forEach(m::accept);
        return m.violations();
    }
}
