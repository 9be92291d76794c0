package dev.linden.kvnode.raft;

/**
 * The part of Raft state that must be durable before any message depending on it leaves (Raft §5.1,
 * Figure 2 "persistent state"): the current term and the vote cast in it.
 *
 * @param term     current term, never decreases
 * @param votedFor node voted for in {@code term}, or {@link RaftCore#NO_NODE}
 */
public record HardState(long term, int votedFor) {
    public static final HardState INITIAL = new HardState(0, RaftCore.NO_NODE);
}
