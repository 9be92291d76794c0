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
 *
 * <p>Every request ends: it is committed, waits for something that can come true (a change in flight to
 * commit, voters to answer), or is refused at once with the reason (the last voter, an id once removed,
 * a learner that never answered). A removal of an id ends any add of it still waiting for its promotion,
 * so an add that ended is never carried out later.
 */
final class MembershipChanges {
    /** {@link RaftCore#changeMembership} result: the change is already in force (nothing appended). */
    static final long CHANGE_IN_FORCE = 0;
    /** Result: not possible as asked (removing the last voter, an id once removed, an unreachable learner). */
    static final long CHANGE_REFUSED = -3;
    /**
     * A learner to be promoted that has not answered once within this many election timeouts is taken out
     * of the configuration again and its add refused as unreachable (10 s at the default timeout): a node
     * where nothing listens, or one of another cluster that refuses our Hello, never answers.
     */
    static final int LEARNER_ANSWER_TIMEOUT_ELECTIONS = 10;

    private final RaftCore c;
    /** Why the last request was refused or is waiting, for the operator's error; "" if nothing was said. */
    String note = "";

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
        String refusal = refusal(change, current);
        if (refusal != null) {
            note = refusal;
            c.notice("membership change refused: " + change + ": " + refusal);
            return CHANGE_REFUSED;
        }
        if (change.kind() == MembershipChange.Kind.REMOVE) {
            c.leader.promoteWhenCaughtUp.remove(id); // an add of the same id waiting for promotion ends here
            if (id == c.id()) {
                return handOverFirst(change); // the new leader checks the voters left when asked again
            }
            if (!mayChangeNow()) {
                return waiting("another configuration change or a leadership transfer is under way, or no entry"
                        + " of this leader's term is committed yet");
            }
            if (current.isVoter(id) && wouldLoseQuorum(current.without(id))) {
                // etcd's strict reconfiguration check: removing a voter while too few of the rest answer would
                // leave the cluster unable to elect. Wait (the caller asks again) until they answer.
                return waiting("removing voter " + id + " would leave " + current.without(id)
                        + " without a majority that answers; waiting for its voters to answer");
            }
        }
        if (change.kind() == MembershipChange.Kind.ADD_VOTER && current.isLearner(id)) {
            c.leader.promoteWhenCaughtUp.putIfAbsent(id, 0); // the learner is there: promote it once caught up
            return CHANGE_IN_FORCE;
        }
        if (!mayChangeNow()) {
            return waiting("another configuration change or a leadership transfer is under way, or no entry of"
                    + " this leader's term is committed yet");
        }
        Membership next = change.kind() == MembershipChange.Kind.REMOVE
                ? current.without(id)
                : current.withLearner(id, change.address());
        if (change.kind() == MembershipChange.Kind.ADD_VOTER) {
            c.leader.promoteWhenCaughtUp.put(id, 0);
        }
        return append(next, change.toString());
    }

    /** Why {@code change} can never be made as asked (so the caller must not wait for it), or null. */
    private String refusal(MembershipChange change, Membership current) {
        int id = change.nodeId();
        if (change.kind() == MembershipChange.Kind.REMOVE) {
            return current.isVoter(id) && current.votersView().length == 1
                    ? "node " + id + " is the last voter: the cluster would have no voter left"
                    : null;
        }
        String ended = c.leader.endedAdds.get(id);
        if (ended != null) {
            return ended;
        }
        return current.wasRemoved(id)
                ? "node " + id + " was removed from this cluster, and the id of a removed"
                        + " node is not used again (it may still run with its old log): add the node under a new id"
                : null;
    }

    private long waiting(String why) {
        note = why;
        return RaftCore.PROPOSE_THROTTLED;
    }

    /**
     * The leader is to be removed: it hands leadership to its most caught-up voter first (the new leader
     * then removes it when asked again). Returns THROTTLED while the hand-over is under way.
     */
    private long handOverFirst(MembershipChange change) {
        if (c.transfer.inProgress()) {
            return waiting("the leader hands leadership over before it is removed");
        }
        Progress best = null;
        for (Progress pr : c.leader.progress.values()) {
            if (pr.voter && pr.recentActive && (best == null || pr.matchIndex > best.matchIndex)) {
                best = pr;
            }
        }
        if (best == null) {
            return waiting("no other voter answered lately to hand leadership over to before " + change);
        }
        c.notice(change + ": the leader hands over to node " + best.nodeId + " before it is removed");
        c.transfer.start(best.nodeId);
        return waiting("the leader hands over to node " + best.nodeId + " before it is removed");
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

    /**
     * Whether too few voters of {@code next} (this leader included) answered a heartbeat round this leader
     * started for the check less than an election timeout ago (an older round is started again, and the
     * removal waits for its answers). Only such answers count, never a message
     * merely received lately: a message a node sent before it died can arrive late, and counting it once
     * let a removal leave voters [1, 3] with node 3 dead (no leader for 28 s).
     */
    private boolean wouldLoseQuorum(Membership next) {
        LeaderState l = c.leader;
        int answered = next.isVoter(c.id()) ? 1 : 0;
        if (answered >= next.quorum()) {
            return false; // this leader alone is the new quorum
        }
        if (l.removalRoundSeq == 0 || l.removalRoundAgeTicks >= c.config().electionTimeoutTicks()) {
            // No round, or one too old to say who answers now (a node that answered it may have died since).
            l.removalRoundSeq = l.reads.startConfirmationRound();
            l.removalRoundAgeTicks = 0;
            return true;
        }
        for (Progress pr : l.progress.values()) {
            if (next.isVoter(pr.nodeId) && pr.readSeqAcked >= l.removalRoundSeq) {
                answered++;
            }
        }
        return answered < next.quorum();
    }

    /**
     * A leader's tick: ages the reachability round, ends the adds of learners that never answered (taking
     * them out again), and promotes one caught-up learner it was asked to (caught up: at the commit index).
     */
    void tick() {
        LeaderState l = c.leader;
        if (l.removalRoundAgeTicks < Integer.MAX_VALUE) {
            l.removalRoundAgeTicks++;
        }
        Membership current = c.membership();
        l.promoteWhenCaughtUp.keySet().removeIf(id -> !current.isLearner(id));
        endSilentLearners(l);
        for (int id : l.endedAdds.keySet()) {
            if (current.isLearner(id) && mayChangeNow()) {
                append(current.without(id), "learner " + id + " taken out again: " + l.endedAdds.get(id));
                return; // one change at a time
            }
        }
        for (int id : l.promoteWhenCaughtUp.keySet()) {
            Progress pr = l.progress.get(id);
            if (pr != null && pr.matchIndex >= c.commitIndex && mayChangeNow()) {
                l.promoteWhenCaughtUp.remove(id);
                append(current.withPromoted(id), "learner " + id + " caught up at " + pr.matchIndex);
                return; // one change at a time
            }
        }
    }

    /**
     * Learners waited for {@link #LEARNER_ANSWER_TIMEOUT_ELECTIONS} election timeouts without one answer:
     * their adds end. Any answer (sampled each tick, before check-quorum clears it) stops the count.
     */
    private void endSilentLearners(LeaderState l) {
        int limitTicks = LEARNER_ANSWER_TIMEOUT_ELECTIONS * c.config().electionTimeoutTicks();
        for (var it = l.promoteWhenCaughtUp.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            Progress pr = l.progress.get(e.getKey());
            if (e.getValue() < 0 || pr == null || pr.recentActive) {
                e.setValue(-1); // it answered: the add waits for it to catch up (the driver bounds that wait)
                continue;
            }
            e.setValue(e.getValue() + 1);
            if (e.getValue() >= limitTicks) {
                it.remove();
                if (l.endedAdds.size() >= Membership.MAX_MEMBERS) {
                    l.endedAdds.remove(l.endedAdds.keySet().iterator().next());
                }
                l.endedAdds.put(
                        e.getKey(),
                        "unreachable: learner " + e.getKey() + " did not answer within "
                                + LEARNER_ANSWER_TIMEOUT_ELECTIONS + " election timeouts; it is taken out of the"
                                + " configuration again, and its id is not used again");
                c.notice("add of node " + e.getKey() + " ended: " + l.endedAdds.get(e.getKey()));
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
                l.progress.put(
                        id, new Progress(id, c.log.lastIndex() + 1, c.config().maxInflightAppends()));
            }
        }
        l.progress.values().forEach(pr -> pr.voter = current.isVoter(pr.nodeId));
    }
}
