package dev.linden.kvnode.node;

import dev.linden.kvnode.raft.Entry;
import dev.linden.kvnode.raft.Membership;
import dev.linden.kvnode.raft.Ready;
import dev.linden.kvnode.raft.Snapshot;

/** Observes what a node does, for simulator checks and metrics. Called on the raft or apply stage. */
public interface NodeListener {
    NodeListener NONE = new NodeListener() {};

    default void onApplied(int nodeId, Entry entry, byte[] result) {}

    /** The state machine was replaced by a snapshot through {@code index} (on the apply stage). */
    default void onSnapshotRestored(int nodeId, long index) {}

    /** The node took a snapshot of its state machine (on the apply stage, before it is written). */
    default void onSnapshotTaken(int nodeId, Snapshot snapshot) {}

    default void onSoftState(int nodeId, Ready.SoftState state) {}

    /** An event of the core that an operator should see in the log (see {@link Ready#notices()}). */
    default void onNotice(int nodeId, String notice) {}

    /** This leader served a read from its lease in {@code term} (on the raft stage). */
    default void onLeaseRead(int nodeId, long term) {}

    /** The configuration in force on this node changed (raft stage): a change in its log, or a snapshot. */
    default void onMembership(int nodeId, Membership membership) {}

    /** The node stopped itself because it can no longer trust its storage; the process should exit. */
    default void onFatal(int nodeId, StorageFailedException failure) {}
}
