package dev.linden.kvnode.raft;

/**
 * The part of Raft state that must be durable before any message depending on it leaves (Raft §5.1,
 * Figure 2 "persistent state"): the current term and the vote cast in it; and whether this node lost log
 * it may have acknowledged ({@link LostLog}).
 *
 * @param term            current term, never decreases
 * @param votedFor        node voted for in {@code term}, or {@link RaftCore#NO_NODE}
 * @param lostThroughTerm 0, or the highest term in which this node may have acknowledged log that its
 *                        storage has since lost: until its durable log holds an entry of a later term it
 *                        neither votes nor campaigns
 */
public record HardState(long term, int votedFor, long lostThroughTerm) {
    public static final HardState INITIAL = new HardState(0, RaftCore.NO_NODE, 0);

    public HardState {
        Invariants.require(
                term >= 0 && lostThroughTerm >= 0 && lostThroughTerm <= term,
                "hard state: 0 <= lostThroughTerm <= term, got term " + term + " lost-through " + lostThroughTerm);
    }

    /** A node that lost nothing. */
    public HardState(long term, int votedFor) {
        this(term, votedFor, 0);
    }
}
