package dev.linden.kvnode.raft;

import dev.linden.kvnode.raft.Message.VoteRequest;
import dev.linden.kvnode.raft.Message.VoteResponse;
import java.util.Arrays;

/**
 * Elections (Raft §5.2) with PreVote (thesis §9.6) and leader leases for votes (thesis §4.2.3): the
 * election timer, campaigns, and the rules for {@link VoteRequest} and {@link VoteResponse}.
 */
final class Election {
    private final RaftCore c;
    int electionElapsedTicks;
    private int randomizedElectionTimeoutTicks;

    Election(RaftCore core) {
        this.c = core;
    }

    /** A follower's or candidate's tick: campaigns when the randomized election timeout runs out. */
    void tick() {
        electionElapsedTicks++;
        if (electionElapsedTicks >= randomizedElectionTimeoutTicks) {
            campaign();
        }
    }

    void campaign() {
        if (Arrays.binarySearch(c.votersArray(), c.id()) < 0 || c.lostLog.abstaining()) {
            return;
        }
        if (c.config().preVote()) {
            becomePreCandidate();
        } else {
            becomeCandidate();
        }
    }

    private void becomePreCandidate() {
        Invariants.check(c.role != Role.LEADER, "leader cannot pre-campaign", c.id(), c.term, c.log.lastIndex());
        c.roles.enterCandidacy(Role.PRE_CANDIDATE, RaftCore.NO_NODE);
        resetTimer();
        if (!maybeWin()) {
            requestVotes(true, c.term + 1);
        }
    }

    private void becomeCandidate() {
        becomeCandidate(false);
    }

    /** The leader handed over to us (TimeoutNow): campaign now, without PreVote, saying why. */
    void campaignForTransfer() {
        if (c.lostLog.abstaining()) {
            c.notice("ignoring a leadership hand-over: this node lost log it acknowledged and is not repaired yet");
            return;
        }
        if (Arrays.binarySearch(c.votersArray(), c.id()) < 0) {
            return;
        }
        becomeCandidate(true);
    }

    private void becomeCandidate(boolean transfer) {
        Invariants.check(c.role != Role.LEADER, "leader cannot campaign", c.id(), c.term, c.log.lastIndex());
        c.roles.setTerm(c.term + 1);
        c.votedFor = c.id();
        c.hardStateDirty = true;
        c.roles.enterCandidacy(Role.CANDIDATE, RaftCore.NO_NODE);
        c.candidate.transfer = transfer;
        resetTimer();
        if (!maybeWin()) {
            requestVotes(false, c.term, transfer);
        }
    }

    private void requestVotes(boolean preVote, long term) {
        requestVotes(preVote, term, false);
    }

    private void requestVotes(boolean preVote, long term, boolean transfer) {
        for (int peer : c.votersArray()) {
            if (peer != c.id()) {
                c.send(new VoteRequest(c.id(), peer, term, preVote, c.log.lastIndex(), c.log.lastTerm(), transfer));
            }
        }
    }

    /** Counts votes; returns true if the round ended (won or lost). */
    private boolean maybeWin() {
        CandidateState round = c.candidate;
        if (round.granted() >= c.quorum()) {
            if (c.role == Role.PRE_CANDIDATE) {
                becomeCandidate();
            } else {
                c.roles.becomeLeader();
            }
            return true;
        }
        if (round.rejected() >= c.quorum()) {
            c.roles.becomeFollower(c.term, RaftCore.NO_NODE);
            return true;
        }
        return false;
    }

    /** A vote or PreVote request in our term (or a PreVote for a later one). */
    void onVoteRequest(VoteRequest m) {
        Invariants.check(
                m.term() >= c.term, "vote request of an older term reached the handler", c.id(), c.term, m.term());
        boolean canVote = c.votedFor == m.from()
                || (c.votedFor == RaftCore.NO_NODE && c.leaderId == RaftCore.NO_NODE)
                || (m.preVote() && m.term() > c.term);
        // A node that lost log it acknowledged abstains (LostLog): its log no longer says what it promised.
        boolean grant = canVote
                && !c.lostLog.abstaining()
                && (c.config().bug(RaftConfig.Bug.VOTE_WITHOUT_LOG_CHECK)
                        || c.log.isUpToDate(m.lastLogIndex(), m.lastLogTerm()));
        if (grant && !m.preVote()) {
            Invariants.check(
                    c.votedFor == RaftCore.NO_NODE || c.votedFor == m.from(),
                    "second vote in one term",
                    c.id(),
                    c.term,
                    c.log.lastIndex());
            c.votedFor = m.from();
            c.hardStateDirty = true;
            electionElapsedTicks = 0;
        }
        c.send(new VoteResponse(c.id(), m.from(), grant && m.preVote() ? m.term() : c.term, m.preVote(), grant));
    }

    void onVoteResponse(VoteResponse m) {
        Invariants.check(
                m.term() >= c.term, "vote response of an older term reached the handler", c.id(), c.term, m.term());
        boolean expected = (m.preVote() && c.role == Role.PRE_CANDIDATE) || (!m.preVote() && c.role == Role.CANDIDATE);
        if (!expected) {
            return;
        }
        c.candidate.record(m.from(), m.granted());
        maybeWin();
    }

    /** Ticks since this core started (saturating): a restarted node forgot whom it heard from. */
    int ticksSinceStart;

    /**
     * We heard from a live leader within the election timeout (with check-quorum on), or, with lease reads,
     * we started less than an election timeout ago: a leader may hold a lease on our last answer before the
     * restart, and we no longer know.
     */
    boolean inLeaderLease() {
        if (c.config().leaseReads() && ticksSinceStart < c.config().electionTimeoutTicks()) {
            return true;
        }
        return c.config().checkQuorum()
                && c.leaderId != RaftCore.NO_NODE
                && electionElapsedTicks < c.config().electionTimeoutTicks();
    }

    void resetTimer() {
        electionElapsedTicks = 0;
        randomizedElectionTimeoutTicks =
                c.config().electionTimeoutTicks() + c.random.nextInt(c.config().electionTimeoutTicks());
    }
}
