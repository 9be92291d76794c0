package dev.linden.sim;

import dev.linden.kvnode.node.NodeListener;
import dev.linden.kvnode.node.StorageFailedException;
import dev.linden.kvnode.raft.Entry;
import dev.linden.kvnode.raft.Membership;
import dev.linden.kvnode.raft.RaftCore;
import dev.linden.kvnode.raft.Ready;
import dev.linden.kvnode.raft.Role;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The simulator's checks that need more than a node's events: no read lease outlives its term, the rules of
 * single-server membership changes (both read the nodes' state directly); it also keeps the log every node
 * applied (for the snapshot and lost-write checks at the end), feeds the durability and liveness monitors,
 * and writes the nodes' role changes to their logs. Election safety, the commit rule, commit indexes never
 * moving back, applying in order, the same entry at each index and leader completeness are judged from the
 * nodes' events by {@code EventMonitor}, the one implementation real-process runs use too.
 */
final class SafetyMonitor implements NodeListener {
    private final Simulation sim;
    private final TreeMap<Long, Integer> leaderOfTerm = new TreeMap<>();
    private final HashMap<Long, Entry> appliedAt = new HashMap<>();
    private final Map<Integer, Long> commitSeen = new HashMap<>();
    private final Map<Integer, Long> lastApplied = new HashMap<>();
    private final Map<Integer, Long> leaderTermChecked = new HashMap<>();
    private final Map<Integer, Role> lastRole = new HashMap<>();
    long maxAppliedIndex;
    long leaderChanges;
    /** State machines loaded from a snapshot: at restart, or installed from the leader. */
    long snapshotLoads;

    SafetyMonitor(Simulation sim) {
        this.sim = sim;
    }

    /** A node (re)started: its volatile state starts over. */
    void nodeStarted(int nodeId) {
        lastRole.remove(nodeId);
        commitSeen.put(nodeId, 0L);
        lastApplied.put(nodeId, 0L);
        leaderTermChecked.remove(nodeId);
    }

    @Override
    public void onSoftState(int nodeId, Ready.SoftState s) {
        long prevCommit = commitSeen.getOrDefault(nodeId, 0L);
        commitSeen.put(nodeId, s.commitIndex());
        if (s.commitIndex() > prevCommit) {
            sim.liveness().committed(s.commitIndex());
            sim.durability()
                    .committed(
                            nodeId, sim.node(nodeId).raft.core(), prevCommit, s.commitIndex(), s.role() == Role.LEADER);
        }
        if (s.role() != Role.LEADER && lastRole.put(nodeId, s.role()) != s.role()) {
            sim.log(
                    nodeId,
                    s.role().toString().toLowerCase() + " in term " + s.term()
                            + (s.leaderId() > 0 ? ", leader " + s.leaderId() : ""));
        }
        if (s.role() != Role.LEADER) {
            return;
        }
        leaderOfTerm.putIfAbsent(s.term(), nodeId); // for the lease check (election safety: EventMonitor)
        if (!Long.valueOf(s.term()).equals(leaderTermChecked.get(nodeId))) {
            leaderTermChecked.put(nodeId, s.term());
            leaderChanges++;
            lastRole.put(nodeId, Role.LEADER);
            sim.log(nodeId, "became leader of term " + s.term() + " (commit " + s.commitIndex() + ")");
            checkNoLeaseOutlivesItsTerm(nodeId, s.term());
            sim.leaderElected(nodeId, s.term());
        }
    }

    /**
     * Lease safety as a state, not only through reads that happen to be served: when a node is elected, no
     * other node may still hold a read lease of an older term (it could serve a read that misses the new
     * leader's writes at any moment).
     */
    private void checkNoLeaseOutlivesItsTerm(int nodeId, long term) {
        for (SimNode n : sim.allNodes()) {
            if (n.id == nodeId || !n.up || n.raft == null || n.raft.core() == null) {
                continue;
            }
            long heldTerm = n.raft.leaseTermHeld();
            if (heldTerm >= 0 && heldTerm < term) {
                sim.violation("lease: node " + nodeId + " was elected in term " + term + " while node " + n.id
                        + " still holds a read lease of term " + heldTerm + " (" + n.raft.leaseRemainingMillis()
                        + " ms left on its clock)");
            }
        }
    }

    @Override
    public void onApplied(int nodeId, Entry entry, byte[] result) {
        lastApplied.put(nodeId, entry.index());
        appliedAt.putIfAbsent(entry.index(), entry); // the first, the one EventMonitor holds the others to
        maxAppliedIndex = Math.max(maxAppliedIndex, entry.index());
    }

    /**
     * Independent of the history: a lease read is safe only if no other node leads a newer term at that
     * moment (whether or not a later write makes the read visibly stale).
     */
    /**
     * The rules single-server changes rest on (thesis 4.1 and the 2015 fix), checked on each leader whenever
     * its configuration changes: at most one configuration entry is uncommitted in its log, each configuration
     * differs from the committed one by at most one voter, and a leader changes it only after committing an
     * entry of its own term.
     */
    @Override
    public void onMembership(int nodeId, Membership membership) {
        RaftCore c = sim.node(nodeId).raft.core();
        if (c == null || c.role() != Role.LEADER) {
            return;
        }
        int uncommitted = 0;
        long firstOfTerm = Long.MAX_VALUE;
        for (long i = Math.max(c.commitIndex() + 1, c.cacheFirstIndex()); i <= c.lastIndex(); i++) {
            Entry e = c.entryAt(i);
            if (e.kind() == Entry.Kind.CONFIG) {
                uncommitted++;
                if (e.term() == c.term() && c.commitIndex() < firstOfTermIndex(c)) {
                    sim.violation("membership: leader " + nodeId + " of term " + c.term() + " proposed a configuration"
                            + " at index " + i + " before committing an entry of its term");
                }
            }
        }
        Set<Integer> was = new TreeSet<>();
        for (int v : c.committedMembership().voters()) {
            was.add(v);
        }
        Set<Integer> now = new TreeSet<>();
        for (int v : membership.voters()) {
            now.add(v);
        }
        Set<Integer> diff = new TreeSet<>(was);
        diff.addAll(now);
        Set<Integer> both = new TreeSet<>(was);
        both.retainAll(now);
        diff.removeAll(both);
        if (uncommitted > 1 || diff.size() > 1) {
            sim.violation("membership: leader " + nodeId + " of term " + c.term() + " has " + uncommitted
                    + " uncommitted configuration entries; committed voters " + was + ", in force " + now
                    + " (single-server changes allow one change in flight, by one voter)");
        }
        // Removed ids stay removed: what the leader's committed configuration removed, the one it puts in
        // force still names as removed (a member never is). A stale leader that missed a removal is not
        // judged here: its log does not hold the removal.
        for (int r : c.committedMembership().removed()) {
            if (!membership.wasRemoved(r)) {
                sim.violation("membership: leader " + nodeId + " of term " + c.term() + " made removed node " + r
                        + " a member again, or forgot its removal (committed " + c.committedMembership()
                        + ", in force " + membership + ")");
            }
        }
        membershipChecks++;
    }

    long membershipChecks;

    /** Index of the leader's first entry of its term (its no-op), found from its log. */
    private static long firstOfTermIndex(RaftCore c) {
        long i = c.lastIndex();
        while (i > c.firstIndex() && c.termAt(i - 1) == c.term()) {
            i--;
        }
        return i;
    }

    @Override
    public void onLeaseRead(int nodeId, long term) {
        Map.Entry<Long, Integer> newer = leaderOfTerm.higherEntry(term);
        if (newer != null) {
            sim.violation("lease: node " + nodeId + " served a read from its lease of term " + term + " while node "
                    + newer.getValue() + " leads term " + newer.getKey());
        }
    }

    @Override
    public void onSnapshotTaken(int nodeId, long index, long term) {
        sim.snapshots().taken(nodeId, index, sim.node(nodeId).kv.digest(), sim.nowMillis());
    }

    @Override
    public void onSnapshotRestored(int nodeId, long index) {
        sim.snapshots().loaded(nodeId, index, sim.node(nodeId).kv.digest(), sim.nowMillis());
        // The state machine jumped to a snapshot: what it holds is checked by the state digests at the end.
        lastApplied.put(nodeId, index);
        snapshotLoads++;
        maxAppliedIndex = Math.max(maxAppliedIndex, index);
    }

    @Override
    public void onFatal(int nodeId, StorageFailedException failure) {
        sim.nodeDied(nodeId, failure.detail());
    }

    /** Every command some node applied, by index (the committed log as far as anyone got). */
    Map<Long, Entry> appliedLog() {
        return appliedAt;
    }

    long lastAppliedOf(int nodeId) {
        return lastApplied.getOrDefault(nodeId, 0L);
    }
}
