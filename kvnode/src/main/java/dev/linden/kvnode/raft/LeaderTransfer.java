package dev.linden.kvnode.raft;

import dev.linden.kvnode.raft.Message.TimeoutNow;

/**
 * Leadership transfer (thesis §3.10): the leader stops taking proposals, brings the target's log up to
 * its own, and sends it {@link TimeoutNow}; the target campaigns at once, without PreVote, and its vote
 * requests say they come from a transfer so that voters who heard from the leader a moment ago grant them
 * anyway (the lease of thesis §4.2.3 protects a leader from nodes that cannot see it, not from its own
 * hand-over). A transfer that has not completed within an election timeout is abandoned and proposals
 * resume. The leader's part lives in {@link LeaderState} (target, ticks), so stepping down ends it.
 */
final class LeaderTransfer {
    private final RaftCore c;

    LeaderTransfer(RaftCore core) {
        this.c = core;
    }

    /** Asks the leader to hand over to {@code target}; returns false (with a notice) if it cannot start. */
    boolean start(int target) {
        if (c.role != Role.LEADER) {
            c.notice("leadership transfer to " + target + " refused: node " + c.id() + " is not the leader");
            return false;
        }
        LeaderState l = c.leader;
        if (target == c.id() || !c.membership().isVoter(target)) {
            c.notice("leadership transfer to " + target + " refused: not another voter of this cluster");
            return false;
        }
        if (l.transferTarget == target) {
            return true; // already under way
        }
        l.transferTarget = target;
        l.transferElapsedTicks = 0;
        l.transferBegun = true;
        c.notice("leadership transfer to " + target + " started in term " + c.term);
        maybeSendTimeoutNow();
        Progress pr = l.progress.get(target);
        if (!l.timeoutNowSent && pr.state == Progress.State.REPLICATE) {
            // Appends in flight to it may be lost: probe from its match point now rather than wait for the
            // replication timeout, which is as long as the whole transfer may take.
            pr.becomeProbe(pr.matchIndex + 1);
        }
        l.appendsPending = true; // the target's log is brought up to ours by ordinary appends
        return true;
    }

    /** Whether proposals are refused now (a transfer is under way: the target must catch up to a fixed log). */
    boolean inProgress() {
        return c.leader != null && c.leader.transferTarget != RaftCore.NO_NODE;
    }

    /** The target's match index may have reached our last index: tell it to campaign. */
    void maybeSendTimeoutNow() {
        LeaderState l = c.leader;
        if (l == null || l.transferTarget == RaftCore.NO_NODE || l.timeoutNowSent) {
            return;
        }
        Progress pr = l.progress.get(l.transferTarget);
        if (pr != null && pr.matchIndex == c.log.lastIndex()) {
            l.timeoutNowSent = true;
            c.send(new TimeoutNow(c.id(), l.transferTarget, c.term));
        }
    }

    /** A leader's tick: a transfer that did not complete within an election timeout is abandoned. */
    void tick() {
        LeaderState l = c.leader;
        if (l.transferTarget != RaftCore.NO_NODE
                && ++l.transferElapsedTicks >= c.config().electionTimeoutTicks()) {
            c.notice("leadership transfer to " + l.transferTarget + " abandoned after " + l.transferElapsedTicks
                    + " ticks; taking proposals again");
            l.transferTarget = RaftCore.NO_NODE;
            l.timeoutNowSent = false;
        }
    }

    /** The leader of our term tells us to campaign now. */
    void onTimeoutNow(TimeoutNow m) {
        Invariants.check(
                m.term() == c.term, "TimeoutNow of another term reached the handler", c.id(), c.term, m.term());
        if (c.role != Role.FOLLOWER || m.from() != c.leaderId) {
            return; // not from our leader, or we are already campaigning: nothing to do
        }
        c.election.campaignForTransfer();
    }
}
