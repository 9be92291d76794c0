package dev.linden.kvnode.events;

import dev.linden.kvnode.node.NodeListener;
import dev.linden.kvnode.raft.Entry;
import dev.linden.kvnode.raft.HardState;
import dev.linden.kvnode.raft.Membership;
import dev.linden.kvnode.raft.Ready;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.IntToLongFunction;
import java.util.function.LongSupplier;
import java.util.function.LongUnaryOperator;

/**
 * Turns what a node tells its {@link NodeListener} into {@link NodeEvent}s for a sink: the node server's
 * bounded writer, or the simulator's monitor directly. One source may serve several nodes (the simulator's
 * does): sequence numbers and the last role are kept per node. Called on the raft and apply stages of
 * each node at once, so event numbering and hand-over to the sink share one lock; the sink must not block.
 */
public final class EventSource implements NodeListener {
    private final LongSupplier clockMillis;
    private final IntToLongFunction stateDigest;
    private final Consumer<NodeEvent> sink;
    private final Map<Integer, PerNode> nodes = new HashMap<>();

    /** Per node: the next sequence number (counted even for events the sink drops) and the last role seen. */
    private static final class PerNode {
        long seq;
        long term = -1;
        String role = "";
        int leader = -1;
    }

    /**
     * @param clockMillis  the time stamped on each event
     * @param stateDigest  the digest of a node's state machine, asked on its apply stage at each snapshot
     */
    public EventSource(LongSupplier clockMillis, IntToLongFunction stateDigest, Consumer<NodeEvent> sink) {
        this.clockMillis = clockMillis;
        this.stateDigest = stateDigest;
        this.sink = sink;
    }

    private PerNode of(int node) {
        return nodes.computeIfAbsent(node, n -> new PerNode());
    }

    private long next(int node) {
        return ++of(node).seq;
    }

    @Override
    public synchronized void onStarted(int nodeId, HardState recovered, long snapshotIndex, long lastIndex) {
        nodes.put(nodeId, new PerNode());
        long at = clockMillis.getAsLong();
        sink.accept(new NodeEvent.Started(
                at,
                nodeId,
                next(nodeId),
                recovered.term(),
                recovered.votedFor(),
                snapshotIndex,
                recovered.lostThroughTerm(),
                lastIndex));
    }

    @Override
    public synchronized void onHardStateSaved(int nodeId, HardState saved) {
        long at = clockMillis.getAsLong();
        sink.accept(new NodeEvent.HardStateSaved(at, nodeId, next(nodeId), saved.term(), saved.votedFor()));
    }

    @Override
    public synchronized void onVoteGranted(int nodeId, long term, int candidate) {
        sink.accept(new NodeEvent.VoteGranted(clockMillis.getAsLong(), nodeId, next(nodeId), term, candidate));
    }

    @Override
    public synchronized void onSoftState(int nodeId, Ready.SoftState s) {
        PerNode p = of(nodeId);
        String role = s.role().name().toLowerCase();
        if (s.term() == p.term && role.equals(p.role) && s.leaderId() == p.leader) {
            return;
        }
        p.term = s.term();
        p.role = role;
        p.leader = s.leaderId();
        sink.accept(
                new NodeEvent.RoleChanged(clockMillis.getAsLong(), nodeId, next(nodeId), s.term(), role, s.leaderId()));
    }

    @Override
    public synchronized void onCommitAdvanced(
            int nodeId, long term, boolean asLeader, long commitIndex, long entryTerm, int[] counted) {
        long at = clockMillis.getAsLong();
        sink.accept(new NodeEvent.CommitAdvanced(
                at, nodeId, next(nodeId), term, asLeader, commitIndex, entryTerm, asLeader ? counted : new int[0]));
    }

    @Override
    public synchronized void onLeaderElected(
            int nodeId, long term, long afterIndex, long lastIndex, LongUnaryOperator termAt) {
        long[][] runs = LogRuns.of(termAt, afterIndex, lastIndex);
        long at = clockMillis.getAsLong();
        sink.accept(
                new NodeEvent.LeaderElected(at, nodeId, next(nodeId), term, afterIndex, lastIndex, runs[0], runs[1]));
    }

    @Override
    public void onAppliedBatch(int nodeId, List<Entry> batch) {
        long[] terms = new long[batch.size()];
        int[] hashes = new int[batch.size()];
        for (int i = 0; i < terms.length; i++) {
            Entry e = batch.get(i);
            terms[i] = e.term();
            hashes[i] = EntryHash.of(e); // outside the lock: the hashing is the apply stage's own cost
        }
        long from = batch.get(0).index();
        synchronized (this) {
            sink.accept(new NodeEvent.Applied(clockMillis.getAsLong(), nodeId, next(nodeId), from, terms, hashes));
        }
    }

    @Override
    public void onSnapshotTaken(int nodeId, long index, long term) {
        long digest = stateDigest.applyAsLong(nodeId);
        synchronized (this) {
            sink.accept(new NodeEvent.SnapshotNoted(
                    clockMillis.getAsLong(), nodeId, next(nodeId), true, index, term, digest));
        }
    }

    @Override
    public void onSnapshotRestored(int nodeId, long index) {
        long digest = stateDigest.applyAsLong(nodeId);
        synchronized (this) {
            sink.accept(new NodeEvent.SnapshotNoted(
                    clockMillis.getAsLong(), nodeId, next(nodeId), false, index, 0, digest));
        }
    }

    @Override
    public synchronized void onMembership(
            int nodeId, Membership membership, long index, long commitIndex, boolean asLeader) {
        int[] voters = membership.voters().clone();
        Arrays.sort(voters);
        sink.accept(new NodeEvent.MembershipInForce(
                clockMillis.getAsLong(), nodeId, next(nodeId), voters, index, commitIndex, asLeader));
    }
}
