package dev.linden.kvnode.raft;

/**
 * A node whose storage lost log it may have acknowledged (the tail of its log cut, segments gone; see
 * {@link HardState#lostThroughTerm()}) must not act on the log it has left. Its lost acknowledgements may
 * have counted towards commits: with them gone, its vote could elect a leader that lacks a committed entry
 * (Raft §5.4.1 relies on every voter still holding what it acknowledged), and it could win an election
 * itself. So it neither campaigns nor grants votes or PreVotes. It still replicates: what it acknowledges
 * from now on it really holds, and a leader that counted its old acknowledgements lowers its match index
 * when this node rejects an index it once acknowledged ({@link LeaderReplication}).
 *
 * <p><b>When it is repaired.</b> Its lost acknowledgements were given in terms up to {@code
 * lostThroughTerm} (its current term when the loss was found). With one such node among the voters, any
 * leader of a later term was elected without it, so by the usual quorum intersection that leader holds
 * every entry its lost acknowledgements helped commit; those entries have terms of at most {@code
 * lostThroughTerm}, so in that leader's log they precede its first entry of a later term. Once this node's
 * durable log holds an entry of a term above {@code lostThroughTerm}, it matched that leader's log up to
 * there, so it holds them all, and no later leader truncates them. From then on it votes again. The check
 * costs one comparison per durable write, and only while the node is recovering.
 *
 * <p>Two or more such nodes at once can leave a cluster with no majority that may vote: it then waits for
 * the nodes that lost nothing, or for an operator (remove the damaged nodes, add new ones).
 */
final class LostLog {
    private final RaftCore c;
    /** 0, or the highest term in which this node may have acknowledged log it no longer holds. */
    private long lostThroughTerm;

    LostLog(RaftCore core, long lostThroughTerm) {
        Invariants.require(lostThroughTerm >= 0, "lostThroughTerm >= 0");
        this.c = core;
        this.lostThroughTerm = lostThroughTerm;
        if (lostThroughTerm > 0) {
            c.notice("this node lost log it may have acknowledged in terms up to " + lostThroughTerm
                    + ": it neither votes nor campaigns until its log holds an entry of a later term");
            maybeRepaired(); // a repair made durable just before a crash that lost only the flag's clearing
        }
    }

    long lostThroughTerm() {
        return lostThroughTerm;
    }

    /** Whether this node must stay out of elections (no campaign, no vote, no PreVote). */
    boolean abstaining() {
        return lostThroughTerm > 0;
    }

    /** After the durable log grew: repaired once it holds an entry of a term after the loss. */
    void maybeRepaired() {
        if (lostThroughTerm == 0) {
            return;
        }
        long durable = c.local.durableIndex;
        long durableTerm = durable == 0 ? 0 : c.log.term(durable);
        if (durableTerm > lostThroughTerm) {
            Invariants.check(durableTerm <= c.term, "durable entry of a term beyond ours", c.id(), c.term, durable);
            c.notice("log repaired: it holds entry " + durable + " of term " + durableTerm + ", after term "
                    + lostThroughTerm + " in which log was lost; voting again");
            lostThroughTerm = 0;
            c.hardStateDirty = true;
        }
    }
}
