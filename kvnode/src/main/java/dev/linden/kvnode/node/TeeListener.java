package dev.linden.kvnode.node;

import dev.linden.kvnode.raft.Entry;
import dev.linden.kvnode.raft.HardState;
import dev.linden.kvnode.raft.Membership;
import dev.linden.kvnode.raft.Ready;
import java.util.List;
import java.util.function.LongUnaryOperator;

/** Tells two listeners everything, {@code first} first (a node has one listener). */
public final class TeeListener implements NodeListener {
    private final NodeListener first;
    private final NodeListener second;

    public TeeListener(NodeListener first, NodeListener second) {
        this.first = first;
        this.second = second;
    }

    @Override
    public void onApplied(int nodeId, Entry entry, byte[] result) {
        first.onApplied(nodeId, entry, result);
        second.onApplied(nodeId, entry, result);
    }

    @Override
    public void onSnapshotRestored(int nodeId, long index) {
        first.onSnapshotRestored(nodeId, index);
        second.onSnapshotRestored(nodeId, index);
    }

    @Override
    public void onSnapshotTaken(int nodeId, long index, long term) {
        first.onSnapshotTaken(nodeId, index, term);
        second.onSnapshotTaken(nodeId, index, term);
    }

    @Override
    public void onSoftState(int nodeId, Ready.SoftState state) {
        first.onSoftState(nodeId, state);
        second.onSoftState(nodeId, state);
    }

    @Override
    public void onNotice(int nodeId, String notice) {
        first.onNotice(nodeId, notice);
        second.onNotice(nodeId, notice);
    }

    @Override
    public void onLeaseRead(int nodeId, long term) {
        first.onLeaseRead(nodeId, term);
        second.onLeaseRead(nodeId, term);
    }

    @Override
    public void onMembership(int nodeId, Membership membership, long index, long commitIndex, boolean asLeader) {
        first.onMembership(nodeId, membership, index, commitIndex, asLeader);
        second.onMembership(nodeId, membership, index, commitIndex, asLeader);
    }

    @Override
    public void onStarted(int nodeId, HardState recovered, long snapshotIndex, long lastIndex) {
        first.onStarted(nodeId, recovered, snapshotIndex, lastIndex);
        second.onStarted(nodeId, recovered, snapshotIndex, lastIndex);
    }

    @Override
    public void onHardStateSaved(int nodeId, HardState saved) {
        first.onHardStateSaved(nodeId, saved);
        second.onHardStateSaved(nodeId, saved);
    }

    @Override
    public void onVoteGranted(int nodeId, long term, int candidate) {
        first.onVoteGranted(nodeId, term, candidate);
        second.onVoteGranted(nodeId, term, candidate);
    }

    @Override
    public void onCommitAdvanced(
            int nodeId, long term, boolean asLeader, long commitIndex, long entryTerm, int[] counted) {
        first.onCommitAdvanced(nodeId, term, asLeader, commitIndex, entryTerm, counted);
        second.onCommitAdvanced(nodeId, term, asLeader, commitIndex, entryTerm, counted);
    }

    @Override
    public void onLeaderElected(int nodeId, long term, long afterIndex, long lastIndex, LongUnaryOperator termAt) {
        first.onLeaderElected(nodeId, term, afterIndex, lastIndex, termAt);
        second.onLeaderElected(nodeId, term, afterIndex, lastIndex, termAt);
    }

    @Override
    public void onAppliedBatch(int nodeId, List<Entry> batch) {
        first.onAppliedBatch(nodeId, batch);
        second.onAppliedBatch(nodeId, batch);
    }

    @Override
    public void onFatal(int nodeId, StorageFailedException failure) {
        first.onFatal(nodeId, failure);
        second.onFatal(nodeId, failure);
    }
}
