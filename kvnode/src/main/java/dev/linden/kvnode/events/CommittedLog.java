package dev.linden.kvnode.events;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * What the whole cluster committed and applied, index by index, as the nodes reported it, and the leaders
 * elected: the tables behind the properties that compare nodes. Each check holds whatever order the events
 * arrive in (nodes' streams are merged by clocks that need not agree): a disagreement is one whichever
 * side was seen first.
 */
final class CommittedLog {
    private final Consumer<Violation> out;
    /** Term of the entry each index holds in the committed log (0: not known yet). */
    private long[] termAt = new long[1024];
    /** Hash of the entry applied at each index, and the first node that applied it (0: none yet). */
    private int[] hashAt = new int[1024];

    private int[] appliedBy = new int[1024];
    /** Per term in which nodes learned of commits: the highest commit point {index, entry term, node}. */
    private final TreeMap<Long, long[]> commitPoints = new TreeMap<>();

    private final TreeMap<Long, NodeEvent.LeaderElected> leaders = new TreeMap<>();
    long highestApplied;
    long completenessChecks;

    CommittedLog(Consumer<Violation> out) {
        this.out = out;
    }

    private void grow(long index) {
        if (index >= termAt.length) {
            int n = (int) Math.max(index + 1, termAt.length * 2L);
            termAt = Arrays.copyOf(termAt, n);
            hashAt = Arrays.copyOf(hashAt, n);
            appliedBy = Arrays.copyOf(appliedBy, n);
        }
    }

    /** Election safety: at most one leader per term. Then leader completeness for the new leader. */
    void leader(NodeEvent.LeaderElected l) {
        NodeEvent.LeaderElected other = leaders.putIfAbsent(l.term(), l);
        if (other != null && other.node() != l.node()) {
            out.accept(new Violation(
                    "election safety",
                    l.node(),
                    0,
                    l.atMillis(),
                    "nodes " + other.node() + " and " + l.node() + " both lead term " + l.term()));
            return;
        }
        for (Map.Entry<Long, long[]> p : commitPoints.headMap(l.term(), false).entrySet()) {
            checkHolds(l, p.getKey(), p.getValue());
        }
    }

    /** The committed prefix never changes: {@code index} holds {@code term} for every node. */
    void committed(NodeEvent.CommitAdvanced c) {
        long entryTerm = c.entryTerm() > 0 ? c.entryTerm() : known(c.index());
        if (c.entryTerm() > 0) {
            record(c.node(), c.index(), c.entryTerm(), c.atMillis());
        }
        if (entryTerm <= 0) {
            return; // compacted on that node and not reported by anyone else: no point to check leaders against
        }
        long[] point = {c.index(), entryTerm, c.node(), c.atMillis()};
        long[] best = commitPoints.get(c.term());
        if (best == null || best[0] < c.index()) {
            commitPoints.put(c.term(), point);
        }
        for (NodeEvent.LeaderElected l : leaders.tailMap(c.term(), false).values()) {
            checkHolds(l, c.term(), point);
        }
    }

    /**
     * Leader completeness (Raft 5.4): an entry known committed in term {@code commitTerm} is in the log of
     * every leader of a later term. By the leader's announced terms at that index (same index and term: the
     * same entry, by log matching); an index inside the leader's snapshot is not judged.
     */
    private void checkHolds(NodeEvent.LeaderElected l, long commitTerm, long[] point) {
        long index = point[0];
        if (index <= l.afterIndex()) {
            return;
        }
        completenessChecks++;
        long has = l.termAt(index);
        if (has != point[1]) {
            out.accept(new Violation(
                    "leader completeness",
                    l.node(),
                    index,
                    l.atMillis(),
                    "node " + l.node() + " leads term " + l.term() + " without the entry of term " + point[1]
                            + " at index " + index + " that node " + point[2] + " knew committed in term "
                            + commitTerm + " (its log ends at " + l.lastIndex() + ", "
                            + (has < 0 ? "short of it" : "term " + has + " there") + ")"));
        }
    }

    /** State machine safety: every node applies the same entry at each index. */
    void applied(NodeEvent.Applied a) {
        long[] terms = a.terms();
        int[] hashes = a.hashes();
        grow(a.toIndex());
        for (int i = 0; i < terms.length; i++) {
            long index = a.fromIndex() + i;
            record(a.node(), index, terms[i], a.atMillis());
            int at = (int) index;
            if (appliedBy[at] == 0) {
                hashAt[at] = hashes[i];
                appliedBy[at] = a.node();
            } else if (hashAt[at] != hashes[i]) {
                out.accept(new Violation(
                        "state machine safety",
                        a.node(),
                        index,
                        a.atMillis(),
                        "node " + a.node() + " applied an entry (term " + terms[i] + ", hash "
                                + Integer.toHexString(hashes[i]) + ") where node " + appliedBy[at]
                                + " applied another (hash " + Integer.toHexString(hashAt[at]) + ")"));
            }
        }
        highestApplied = Math.max(highestApplied, a.toIndex());
    }

    private long known(long index) {
        return index < termAt.length ? termAt[(int) index] : 0;
    }

    private void record(int node, long index, long term, long atMillis) {
        grow(index);
        long before = termAt[(int) index];
        if (before == 0) {
            termAt[(int) index] = term;
        } else if (before != term) {
            out.accept(new Violation(
                    "committed prefix unchanged",
                    node,
                    index,
                    atMillis,
                    "node " + node + " committed or applied term " + term + " at index " + index + " where term "
                            + before + " was committed before"));
        }
    }

    int leadersSeen() {
        return leaders.size();
    }
}
