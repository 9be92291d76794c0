package dev.linden.kvnode.raft;

/**
 * The leader's rules for changing the configuration, one server at a time (thesis §4.1), with the fix
 * Ongaro posted in 2015 for single-server changes: a leader proposes a change only once an entry of its
 * own term is committed, and only while no other configuration entry is uncommitted. Without the first
 * rule, a change proposed by a new leader can overlap an uncommitted change of an earlier leader and two
 * disjoint majorities can form; without the second, two changes in flight do the same.
 *
 * <p>Also here: learners are promoted once they catch up, progress tracking follows the configuration,
 * and a leader never removes itself (the driver hands leadership over first, then asks the new leader).
 */
final class MembershipChanges {
    /** {@link RaftCore#changeMembership} result: the change is already in force (nothing appended). */
    static final long CHANGE_IN_FORCE = 0;
    /** Result: not possible as asked (removing the leader itself, the last voter, an unknown kind of request). */
    static final long CHANGE_REFUSED = -3;

    private final RaftCore c;

    MembershipChanges(RaftCore core) {
        this.c = core;
    }

    /** Proposes {@code change}: the config entry's index, or a PROPOSE_/CHANGE_ result (with a notice). */
    long propose(MembershipChange change) {
        if (c.role != Role.LEADER) {
            return RaftCore.PROPOSE_NOT_LEADER;
        }
        Membership current = c.membership();
        int id = change.nodeId();
        if (change.satisfiedBy(current)) {
            return CHANGE_IN_FORCE;
        }
        if (change.kind() == MembershipChange.Kind.REMOVE && wouldLoseQuorum(current.without(id))) {
            // etcd's strict reconfiguration check: removing a voter while too few of the rest are reachable
            // would leave the cluster without a working majority. Wait (the caller retries) until they are.
            return RaftCore.PROPOSE_THROTTLED;
        }
        if (change.kind() == MembershipChange.Kind.REMOVE && id == c.id()) {
            return handOverFirst(change);
        }
        if (change.kind() == MembershipChange.Kind.REMOVE && current.isVoter(id) && current.votersView().length == 1) {
            c.notice("membership change refused: " + change + " would leave no voter");
            return CHANGE_REFUSED;
        }
        if (change.kind() == MembershipChange.Kind.ADD_VOTER && current.isLearner(id)) {
            c.leader.promoteWhenCaughtUp.add(id); // the learner is there: promote it once it has caught up
            return CHANGE_IN_FORCE;
        }
        if (!mayChangeNow()) {
            return RaftCore.PROPOSE_THROTTLED;
        }
        Membership next = change.kind() == MembershipChange.Kind.REMOVE ? current.without(id)
                : current.withLearner(id, change.address());
        if (change.kind() == MembershipChange.Kind.ADD_VOTER) {
            c.leader.promoteWhenCaughtUp.add(id);
        }
        return append(next, change.toString());
    }

    /**
     * The leader is to be removed: it hands leadership to its most caught-up voter first (the new leader
     * then removes it when asked again). Returns THROTTLED while the hand-over is under way.
     */
    private long handOverFirst(MembershipChange change) {
        if (c.transfer.inProgress()) {
            return RaftCore.PROPOSE_THROTTLED;
        }
        Progress best = null;
        for (Progress pr : c.leader.progress.values()) {
            if (pr.voter && pr.recentActive && (best == null || pr.matchIndex > best.matchIndex)) {
                best = pr;
            }
        }
        if (best == null) {
            c.notice("membership change refused: " + change + " would leave no voter");
            return CHANGE_REFUSED;
        }
        c.notice(change + ": the leader hands over to node " + best.nodeId + " before it is removed");
        c.transfer.start(best.nodeId);
        return RaftCore.PROPOSE_THROTTLED;
    }

    /**
     * A change may be proposed now: this leader committed an entry of its term, the last configuration
     * entry is committed, and no transfer is under way. The planted bug skips the middle rule.
     */
    private boolean mayChangeNow() {
        boolean previousCommitted = c.log.memberships.currentIndex() <= c.commitIndex
                || c.config().bug(RaftConfig.Bug.CONCURRENT_MEMBERSHIP_CHANGES);
        return c.committedInOwnTerm() && previousCommitted && !c.transfer.inProgress();
    }

    private long append(Membership next, String why) {
        long index = c.log.lastIndex() + 1;
        c.local.append(Entry.config(c.term, index, next));
        c.leader.appendsPending = true;
        syncProgress();
        c.notice("configuration " + next + " proposed at index " + index + " (" + why + ")");
        return index;
    }

    /** Whether too few voters of {@code next} were heard from lately (this leader included) for its quorum. */
    private boolean wouldLoseQuorum(Membership next) {
        int active = next.isVoter(c.id()) ? 1 : 0;
        for (Progress pr : c.leader.progress.values()) {
            if (next.isVoter(pr.nodeId) && pr.recentActive) {
                active++;
            }
        }
        return active < next.quorum();
    }

    /** A leader's tick: promotes one caught-up learner it was asked to (a learner is caught up at the commit index). */
    void tick() {
        LeaderState l = c.leader;
        if (l.promoteWhenCaughtUp.isEmpty()) {
            return;
        }
        Membership current = c.membership();
        l.promoteWhenCaughtUp.removeIf(id -> !current.isLearner(id));
        for (int id : l.promoteWhenCaughtUp) {
            Progress pr = l.progress.get(id);
            if (pr != null && pr.matchIndex >= c.commitIndex && mayChangeNow()) {
                l.promoteWhenCaughtUp.remove(id);
                append(current.withPromoted(id), "learner " + id + " caught up at " + pr.matchIndex);
                return; // one change at a time
            }
        }
    }

    /** The leader tracks exactly the members of the configuration in force, itself excepted. */
    void syncProgress() {
        LeaderState l = c.leader;
        Membership current = c.membership();
        l.progress.keySet().removeIf(id -> !current.contains(id));
        for (int id : current.members()) {
            if (id != c.id() && !l.progress.containsKey(id)) {
                l.progress.put(id, new Progress(id, c.log.lastIndex() + 1, c.config().maxInflightAppends()));
            }
        }
        l.progress.values().forEach(pr -> pr.voter = current.isVoter(pr.nodeId));
    }
}
