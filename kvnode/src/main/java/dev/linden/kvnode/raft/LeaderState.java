package dev.linden.kvnode.raft;

import java.util.LinkedHashMap;
import java.util.TreeMap;

/**
 * A leader's state for one term: its view of each follower, its read rounds and its heartbeat timer.
 * Created when the node wins an election, dropped when it steps down.
 */
final class LeaderState {
    /** Each follower's progress, by node id. */
    final TreeMap<Integer, Progress> progress = new TreeMap<>();
    /** Some follower may be due appends or a snapshot chunk: the next ready() sends what each needs. */
    boolean appendsPending;
    /** Index of this term's first entry (its no-op): once committed, the commit index is current (§8). */
    final long firstIndexOfTerm;

    int heartbeatElapsedTicks;
    final ReadIndex reads;
    /** The node leadership is being handed to ({@link LeaderTransfer}), or NO_NODE; ticks since it began. */
    int transferTarget = RaftCore.NO_NODE;

    int transferElapsedTicks;
    /** TimeoutNow went to the target in this transfer. */
    boolean timeoutNowSent;
    /** A transfer was begun in this term: no lease reads for the rest of it (a late TimeoutNow may still act). */
    boolean transferBegun;

    /**
     * Learners to promote to voters once they have caught up ({@link MembershipChanges}), each with the
     * ticks it has been waited for without a single answer (-1 once it answered).
     */
    final TreeMap<Integer, Integer> promoteWhenCaughtUp = new TreeMap<>();
    /**
     * Adds this leader ended unfulfilled (learner unreachable), with why: the learner is taken out again and
     * an ask to add the id again is refused with this reason. At most {@link Membership#MAX_MEMBERS}.
     */
    final LinkedHashMap<Integer, String> endedAdds = new LinkedHashMap<>();
    /**
     * The heartbeat round ({@link ReadIndex#startConfirmationRound}) that confirms which voters are
     * reachable before a removal, 0 if none yet; ticks since it began. Only answers to that round count:
     * a late message of a node that has since died cannot make it look reachable.
     */
    long removalRoundSeq;

    int removalRoundAgeTicks;

    LeaderState(RaftCore core, Membership members, long nextIndex, int maxInflight) {
        for (int peer : members.members()) {
            if (peer != core.id()) {
                Progress pr = new Progress(peer, nextIndex, maxInflight);
                pr.voter = members.isVoter(peer);
                progress.put(peer, pr);
            }
        }
        this.firstIndexOfTerm = nextIndex;
        this.reads = new ReadIndex(core, this);
    }

    /** Every follower's progress: {@code 0 <= match < next}, inflight messages bounded. */
    void checkInvariants(int self, long term, long lastIndex) {
        for (Progress pr : progress.values()) {
            Invariants.check(
                    0 <= pr.matchIndex && pr.matchIndex < pr.nextIndex,
                    "0 <= match < next for " + pr,
                    self,
                    term,
                    pr.matchIndex);
            Invariants.check(
                    pr.matchIndex <= lastIndex, "match within the leader's log for " + pr, self, term, pr.matchIndex);
            Invariants.check(
                    pr.inflightLastIndexes.size() <= pr.maxInflight,
                    "inflight window bounded for " + pr,
                    self,
                    term,
                    pr.nextIndex);
        }
    }
}
