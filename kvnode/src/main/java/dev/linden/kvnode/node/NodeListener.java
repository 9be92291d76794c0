package dev.linden.kvnode.node;

import dev.linden.kvnode.raft.Entry;
import dev.linden.kvnode.raft.HardState;
import dev.linden.kvnode.raft.Membership;
import dev.linden.kvnode.raft.Ready;
import java.util.List;
import java.util.function.LongUnaryOperator;

/** Observes what a node does, for simulator checks and metrics. Called on the raft or apply stage. */
public interface NodeListener {
    NodeListener NONE = new NodeListener() {};

    default void onApplied(int nodeId, Entry entry, byte[] result) {}

    /** The state machine was replaced by a snapshot through {@code index} (on the apply stage). */
    default void onSnapshotRestored(int nodeId, long index) {}

    /**
     * The node took a snapshot of its state machine through {@code index} (of {@code term}): called on the apply
     * stage at that index, before the snapshot is encoded and written.
     */
    default void onSnapshotTaken(int nodeId, long index, long term) {}

    default void onSoftState(int nodeId, Ready.SoftState state) {}

    /** An event of the core that an operator should see in the log (see {@link Ready#notices()}). */
    default void onNotice(int nodeId, String notice) {}

    /** This leader served a read from its lease in {@code term} (on the raft stage). */
    default void onLeaseRead(int nodeId, long term) {}

    /** The configuration in force on this node changed (raft stage): a change in its log, or a snapshot. */
    default void onMembership(int nodeId, Membership membership) {}

    /**
     * As {@link #onMembership(int, Membership)}, with where it stands: the configuration's log {@code index}, the
     * node's {@code commitIndex} then, and whether it is the leader (which put it in force by appending it).
     */
    default void onMembership(int nodeId, Membership membership, long index, long commitIndex, boolean asLeader) {
        onMembership(nodeId, membership);
    }

    /**
     * The node starts from what its storage recovered: this hard state and a snapshot through
     * {@code snapshotIndex} (0: none). Called on the thread that starts the node, before its stages run
     * anything of this life.
     */
    default void onStarted(int nodeId, HardState recovered, long snapshotIndex, long lastIndex) {}

    /** A term and vote are durable (raft stage, before any message that depends on them is sent). */
    default void onHardStateSaved(int nodeId, HardState saved) {}

    /** The node grants its vote (not a pre-vote) in {@code term} to {@code candidate} (raft stage). */
    default void onVoteGranted(int nodeId, long term, int candidate) {}

    /**
     * The commit index advanced to {@code commitIndex}, an entry of {@code entryTerm} (-1: compacted). {@code
     * asLeader}: the node led {@code term} already before this advance, so the advance is its own decision.
     */
    default void onCommitAdvanced(
            int nodeId, long term, boolean asLeader, long commitIndex, long entryTerm, int[] counted) {}

    /**
     * The node became leader of {@code term}, its log covering (afterIndex, lastIndex]; {@code termAt} gives
     * the term of an index there (raft stage: call it only during this call).
     */
    default void onLeaderElected(int nodeId, long term, long afterIndex, long lastIndex, LongUnaryOperator termAt) {}

    /** These entries (contiguous, in order) were applied, after their {@link #onApplied} calls (apply stage). */
    default void onAppliedBatch(int nodeId, List<Entry> batch) {}

    /** The node stopped itself because it can no longer trust its storage; the process should exit. */
    default void onFatal(int nodeId, StorageFailedException failure) {}
}
