package dev.linden.kvnode.raft;

import java.util.List;

/**
 * Everything that can happen to a core, as data: one sealed set of typed inputs for
 * {@link RaftCore#step(Input)}, the single input path (the named methods of {@link RaftCore} are the same
 * inputs, one each). A driver that records its inputs can replay a core exactly.
 */
public sealed interface Input
        permits Input.Tick,
                Input.Receive,
                Input.Propose,
                Input.ReadIndex,
                Input.LogWritten,
                Input.Applied,
                Input.EntriesFetched,
                Input.FetchFailed,
                Input.SnapshotTaken,
                Input.Campaign,
                Input.TransferLeadership,
                Input.ChangeMembership {

    /** Logical time advanced by one tick. */
    record Tick() implements Input {}

    /** A message from a peer. */
    record Receive(Message message) implements Input {}

    /** A command to replicate (leader only); its result is the entry's index or a PROPOSE_ refusal. */
    record Propose(byte[] command) implements Input {}

    /** A linearizable read point is wanted for {@code ctx}. */
    record ReadIndex(long ctx) implements Input {}

    /** The log write {@code writeId} and every earlier one are durable. */
    record LogWritten(long writeId) implements Input {}

    /** The apply stage applied everything through {@code index}. */
    record Applied(long index) implements Input {}

    /** Entries read back from storage for follower {@code peer}. */
    record EntriesFetched(int peer, long fromIndex, List<Entry> entries) implements Input {}

    /** A read-back for follower {@code peer} failed. */
    record FetchFailed(int peer) implements Input {}

    /** This node's own snapshot through {@code meta.index()} is durable. */
    record SnapshotTaken(SnapshotMeta meta) implements Input {}

    /** Start an election now (scripted tests). */
    record Campaign() implements Input {}

    /** Hand leadership to voter {@code target} (leader only); the result is 1 if a transfer is under way, else 0. */
    record TransferLeadership(int target) implements Input {}

    /** One single-server configuration change (leader only); the result as {@link RaftCore#changeMembership}. */
    record ChangeMembership(MembershipChange change) implements Input {}

    /** Feeds this input to {@code core}; returns the proposal's result for {@link Propose}, else 0. */
    default long applyTo(RaftCore core) {
        if (this instanceof Tick) {
            core.tick();
        } else if (this instanceof Receive r) {
            core.step(r.message());
        } else if (this instanceof Propose p) {
            return core.propose(p.command());
        } else if (this instanceof ReadIndex r) {
            core.readIndex(r.ctx());
        } else if (this instanceof LogWritten w) {
            core.onLogWritten(w.writeId());
        } else if (this instanceof Applied a) {
            core.onApplied(a.index());
        } else if (this instanceof EntriesFetched f) {
            core.onEntriesFetched(f.peer(), f.fromIndex(), f.entries());
        } else if (this instanceof FetchFailed f) {
            core.onFetchFailed(f.peer());
        } else if (this instanceof SnapshotTaken s) {
            core.onSnapshotTaken(s.meta());
        } else if (this instanceof Campaign) {
            core.startElection();
        } else if (this instanceof TransferLeadership t) {
            return core.transferLeadership(t.target()) ? 1 : 0;
        } else if (this instanceof ChangeMembership m) {
            return core.changeMembership(m.change());
        } else {
            throw new IllegalArgumentException("unknown input " + this);
        }
        return 0;
    }
}
