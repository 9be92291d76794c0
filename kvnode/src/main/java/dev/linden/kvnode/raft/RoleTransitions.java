package dev.linden.kvnode.raft;

/**
 * Role transitions: the only place where a role's state object is created, and the previous one dropped,
 * so no state of one role (a leader's progress, a follower's snapshot receiver, a candidate's votes)
 * outlives it.
 */
final class RoleTransitions {
    private final RaftCore c;

    RoleTransitions(RaftCore core) {
        this.c = core;
    }

    /** Into a (pre-)candidate round: the previous role's state is dropped, a fresh round begins. */
    void enterCandidacy(Role newRole, int newLeader) {
        Invariants.check(
                newRole == Role.PRE_CANDIDATE || newRole == Role.CANDIDATE,
                "enterCandidacy is for candidates",
                c.id(),
                c.term,
                c.log.lastIndex());
        c.role = newRole;
        c.leaderId = newLeader;
        c.leader = null;
        c.follower = null;
        c.candidate = new CandidateState(newRole == Role.PRE_CANDIDATE, c.id());
    }

    void becomeLeader() {
        Invariants.check(
                c.role == Role.CANDIDATE && c.votedFor == c.id(),
                "only a candidate that voted for itself leads",
                c.id(),
                c.term,
                c.log.lastIndex());
        c.role = Role.LEADER;
        c.leaderId = c.id();
        c.candidate = null;
        c.follower = null;
        c.leader = new LeaderState(
                c, c.membership(), c.log.lastIndex() + 1, c.config().maxInflightAppends());
        c.election.electionElapsedTicks = 0;
        // A no-op of our own term lets earlier entries commit (Figure 8) and lets ReadIndex start.
        c.local.append(Entry.noop(c.term, c.leader.firstIndexOfTerm));
        c.leader.appendsPending = true;
    }

    void becomeFollower(long newTerm, int newLeader) {
        Invariants.check(
                newTerm >= c.term,
                "term went back from " + c.term + " to " + newTerm,
                c.id(),
                c.term,
                c.log.lastIndex());
        if (newTerm > c.term) {
            setTerm(newTerm);
            c.votedFor = RaftCore.NO_NODE;
            c.hardStateDirty = true;
        }
        if (c.leader != null) {
            c.leader.reads.failAll(c.out.failedReads);
        }
        c.role = Role.FOLLOWER;
        c.leaderId = newLeader;
        c.leader = null;
        c.candidate = null;
        c.follower = new FollowerState();
        c.election.resetTimer();
    }

    void setTerm(long newTerm) {
        Invariants.check(newTerm > c.term, "term must only grow", c.id(), c.term, c.log.lastIndex());
        c.term = newTerm;
    }

    /** A leader of our term spoke: follow it (a new leader starts a fresh follower state). */
    void acceptLeader(int from) {
        Invariants.check(
                c.role != Role.LEADER,
                "two leaders in term " + c.term + ": " + c.id() + " and " + from,
                c.id(),
                c.term,
                c.log.lastIndex());
        if (c.role != Role.FOLLOWER) {
            becomeFollower(c.term, from);
        }
        Invariants.check(
                c.leaderId == RaftCore.NO_NODE || c.leaderId == from,
                "two leaders in term " + c.term + ": " + c.leaderId + " and " + from,
                c.id(),
                c.term,
                c.log.lastIndex());
        if (c.leaderId != from) {
            c.leaderId = from;
            // Another leader's snapshot at the same index may be serialized differently: start over.
            c.follower = new FollowerState();
        }
        c.election.electionElapsedTicks = 0;
    }
}
