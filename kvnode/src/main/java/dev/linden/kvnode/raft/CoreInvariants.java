package dev.linden.kvnode.raft;

/** The invariants that hold between the core's parts after every ready; checked always ({@link Invariants}). */
final class CoreInvariants {
    private CoreInvariants() {}

    static void check(RaftCore c, int id) {
        Invariants.check(
                c.appliedIndex <= c.handedToApplyIndex && c.handedToApplyIndex <= c.commitIndex,
                "applied <= handed out <= committed: " + c.appliedIndex + " " + c.handedToApplyIndex + " "
                        + c.commitIndex,
                id,
                c.term,
                c.commitIndex);
        Invariants.check(c.commitIndex <= c.log.lastIndex(), "commit within log", id, c.term, c.commitIndex);
        Invariants.check(
                c.local.durableIndex <= c.log.lastIndex(), "durable within log", id, c.term, c.local.durableIndex);
        Invariants.check(c.log.lastTerm() <= c.term, "no entry from a future term", id, c.term, c.log.lastIndex());
        Invariants.check(
                (c.leader != null) == (c.role == Role.LEADER)
                        && (c.follower != null) == (c.role == Role.FOLLOWER)
                        && (c.candidate != null) == (c.role == Role.PRE_CANDIDATE || c.role == Role.CANDIDATE),
                "exactly the current role's state exists",
                id,
                c.term,
                c.log.lastIndex());
        if (c.leader != null) {
            c.leader.checkInvariants(id, c.term, c.log.lastIndex());
        }
        if (c.follower != null) {
            c.follower.checkInvariants(id, c.term);
        }
    }
}
