package dev.linden.sim;

import dev.linden.kvnode.raft.Message;
import dev.linden.kvnode.raft.RaftCore;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Independent monitors of what Raft promises about durability, checked from outside the nodes:
 * <ul>
 *   <li>a follower acknowledges only entries it holds durably;</li>
 *   <li>a leader advances its commit index only over an entry a majority of the voters hold durably, a
 *       down node counting with what it held durably when it went down;</li>
 *   <li>a restarted node still holds everything it held durably when it went down (so all it ever
 *       acknowledged);</li>
 *   <li>the committed prefix never changes: every node that commits index i commits the same term
 *       there, as every node before it did.</li>
 * </ul>
 * A node's word for what is durable (its core's durable index) is what the restart check puts to the
 * test against the simulated disk: a node whose claim outruns its disk is caught when it comes back.
 * A wiped disk is the operator's loss, not the node's: its node is not held to what it had when it comes
 * back, but acknowledgements it gave before the wipe still count toward the majority a commit needed (a
 * leader may rightly commit with an ack from a node whose disk is replaced a moment later). A disk damaged
 * by a disk-damage fault (a WAL tail cut off, segments deleted, a dir emptied before a bootstrap) is the same:
 * its node is not held to what it had, and what it held before the damage still counts toward commits of
 * those entries, but nothing else is relaxed: what the cluster does next (a commit over nodes that do not
 * hold the entry, a committed index whose term changes) is checked as ever.
 */
final class DurabilityMonitor {
    /** What a node held durably when it went down: an index and the term of the entry there (-1: compacted). */
    private record Held(long index, long term, RaftCore core, boolean wiped) {}

    private final Simulation sim;
    private final Map<Integer, Held> heldWhenDown = new HashMap<>();
    /** The term committed at each index (0: not yet known to be committed), grown as commits advance. */
    private long[] committedTerm = new long[1024];

    private long highestCommitted;
    long restartsChecked;
    long commitsChecked;

    DurabilityMonitor(Simulation sim) {
        this.sim = sim;
    }

    /** The node goes down with this core: remember what it held durably. */
    void down(int nodeId, RaftCore core) {
        if (core == null) {
            return;
        }
        long d = core.durableIndex();
        heldWhenDown.put(nodeId, new Held(d, core.termAt(d), core, false));
    }

    /** The node's disk was replaced by an empty one while it was down: by the operator's hand, not its own. */
    void wiped(int nodeId) {
        Held h = heldWhenDown.get(nodeId);
        if (h != null) {
            heldWhenDown.put(nodeId, new Held(h.index(), h.term(), h.core(), true));
        }
    }

    /**
     * What each node held durably before the nemesis damaged its disk: acknowledgements it gave then may have
     * been counted (or be in flight to the leader), so they still count toward the commit of those entries.
     */
    private final Map<Integer, Held> heldBeforeDamage = new HashMap<>();

    /**
     * The node's disk lost data by the nemesis's hand while it was down (see the class comment): it is not
     * held to what it had when it comes back, and what it had counts for commits of those entries.
     */
    void damaged(int nodeId) {
        Held h = heldWhenDown.get(nodeId);
        if (h != null) {
            heldWhenDown.put(nodeId, new Held(h.index(), h.term(), h.core(), true));
            heldBeforeDamage.put(nodeId, h);
        }
    }

    /** The node came back up with this recovered core: it must hold what it held when it went down. */
    void up(int nodeId, RaftCore core) {
        Held h = heldWhenDown.remove(nodeId);
        if (h == null || h.index() == 0 || h.wiped()) {
            return;
        }
        restartsChecked++;
        long snapshotIndex =
                core.latestSnapshot() == null ? 0 : core.latestSnapshot().index();
        if (snapshotIndex >= h.index()) {
            return; // covered by a durable snapshot (of applied, so committed, entries)
        }
        long termNow = core.termAt(h.index());
        if (core.lastIndex() < h.index() || (h.term() > 0 && termNow != h.term())) {
            sim.violation("durability: node " + nodeId + " went down holding index " + h.index() + " (term " + h.term()
                    + ") durably, but came back with "
                    + (core.lastIndex() < h.index()
                            ? "a log ending at " + core.lastIndex()
                            : "term " + termNow + " there")
                    + " (snapshot " + snapshotIndex
                    + "): what it acknowledged is gone");
        }
    }

    /**
     * The node sends a message: an acknowledgement must not outrun its durable log. Acks are made while a
     * burst of inputs is handled and sent after it, so one made before a later input of the same burst
     * replaced the log by a snapshot (which lowers the durable index to the old commit until the snapshot is
     * written, while the old log stays on disk), or moved the node to a newer term, is not judged here: the
     * restart check judges what the disk kept.
     */
    void sending(int nodeId, RaftCore core, Message m) {
        if (m instanceof Message.AppendResponse r
                && r.success()
                && core != null
                && r.term() == core.term()
                && r.matchIndex() > core.durableIndex()
                && r.matchIndex() > core.firstIndex() - 1) {
            sim.violation("durability: node " + nodeId + " acknowledged index " + r.matchIndex() + " to leader "
                    + r.to() + " in term " + r.term() + " but holds only through " + core.durableIndex() + " durably");
        }
    }

    /**
     * A node's commit index advanced. Checks the committed prefix against every earlier commit, and if the
     * node leads, that a majority of the voters hold the new commit point durably.
     */
    void committed(int nodeId, RaftCore core, long fromExclusive, long commitIndex, boolean leader) {
        for (long i = Math.max(fromExclusive + 1, core.firstIndex() - 1); i <= commitIndex; i++) {
            long term = core.termAt(i);
            if (term <= 0) {
                continue; // compacted away here (or the empty prefix)
            }
            record(nodeId, i, term);
        }
        if (!leader || commitIndex <= fromExclusive) {
            return;
        }
        long term = core.termAt(commitIndex);
        if (term <= 0) {
            return;
        }
        commitsChecked++;
        // The commit was decided under the configuration in force then: the current one, or, if a
        // configuration entry was appended in the same step, the one this monitor saw before it.
        int[] voters = core.membership().voters();
        int[] before = votersSeen.getOrDefault(nodeId, voters);
        votersSeen.put(nodeId, voters);
        String now = heldBy(voters, commitIndex, term);
        if (now != null && (Arrays.equals(before, voters) || heldBy(before, commitIndex, term) != null)) {
            sim.violation("durability: leader " + nodeId + " of term " + core.term() + " committed index " + commitIndex
                    + " (term " + term + ") held durably by only " + now);
        }
    }

    /** Null if a majority of {@code voters} holds the entry durably, else who holds what. */
    private String heldBy(int[] voters, long commitIndex, long term) {
        int holding = 0;
        StringBuilder who = new StringBuilder();
        for (int id : voters) {
            SimNode n = sim.node(id);
            RaftCore c = n.up && n.raft != null ? n.raft.core() : null;
            Held h = c == null ? heldWhenDown.get(id) : null;
            RaftCore view = c != null ? c : h == null ? null : h.core();
            long durable = c != null ? c.durableIndex() : h == null ? 0 : h.index();
            boolean holds = holds(view, durable, commitIndex, term);
            Held before = heldBeforeDamage.get(id);
            boolean heldBefore = !holds && before != null && holds(before.core(), before.index(), commitIndex, term);
            holding += holds || heldBefore ? 1 : 0;
            who.append(who.length() == 0 ? "" : ", ")
                    .append(id)
                    .append(
                            holds
                                    ? " holds"
                                    : heldBefore
                                            ? " held it before its disk was damaged"
                                            : " durable through " + durable);
        }
        return holding > voters.length / 2 ? null : holding + " of " + voters.length + " voters (" + who + ")";
    }

    /** Whether {@code view} holds the entry at {@code index} of {@code term}, being durable through {@code durable}. */
    private static boolean holds(RaftCore view, long durable, long index, long term) {
        return view != null && durable >= index && (index < view.firstIndex() - 1 || view.termAt(index) == term);
    }

    /** The voters each leader had at its last checked commit. */
    private final TreeMap<Integer, int[]> votersSeen = new TreeMap<>();

    private void record(int nodeId, long index, long term) {
        if (index >= committedTerm.length) {
            committedTerm = Arrays.copyOf(committedTerm, (int) Math.max(index + 1, committedTerm.length * 2L));
        }
        long before = committedTerm[(int) index];
        if (before == 0) {
            committedTerm[(int) index] = term;
            highestCommitted = Math.max(highestCommitted, index);
        } else if (before != term) {
            sim.violation("committed prefix changed: node " + nodeId + " committed index " + index + " with term "
                    + term + " where term " + before + " was committed before");
        }
    }
}
