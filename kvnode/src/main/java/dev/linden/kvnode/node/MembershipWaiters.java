package dev.linden.kvnode.node;

import dev.linden.kvnode.raft.Input;
import dev.linden.kvnode.raft.Membership;
import dev.linden.kvnode.raft.MembershipChange;
import dev.linden.kvnode.raft.RaftCore;
import dev.linden.kvnode.raft.Role;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntFunction;
import java.util.function.ToLongFunction;

/**
 * Callers of {@link RaftNode#changeMembership} waiting for their change to be committed; raft stage only.
 * Bounded by count (a change is an operator's act) and by time: every request ends within
 * {@link #TIMEOUT_MILLIS}. After each ready, {@link #settle} asks the core again for changes it made wait
 * (one change at a time, voters to answer, an entry of the leader's term to commit), and ends those whose
 * outcome is known: committed; refused for good ({@link MembershipChangeEndedException}, with the core's
 * reason and, for an add, what the transport knows of the link to the new node); timed out; or this node
 * no longer leads (NOT_LEADER: the caller asks the leader again; asking for a change in force is a no-op).
 *
 * <p>An add that ends without its promotion leaves no learner behind to be promoted later: its learner
 * is taken out again (a removal the waiters keep asking for, while this node leads).
 */
final class MembershipWaiters {
    static final int MAX_WAITERS = 16;
    /** Every request ends within this (README: "a membership request ends within 30 s"). */
    static final long TIMEOUT_MILLIS = 30_000;

    private static final class Waiter {
        final MembershipChange change;
        final CompletableFuture<Membership> future;
        int ticksLeft;

        Waiter(MembershipChange change, CompletableFuture<Membership> future, int ticksLeft) {
            this.change = change;
            this.future = future;
            this.ticksLeft = ticksLeft;
        }
    }

    private final int self;
    private final int timeoutTicks;
    private final IntFunction<String> linkProblem;
    private final ToLongFunction<Input> step;
    private final List<Waiter> waiters = new ArrayList<>();
    /** Learners of ended adds still to take out again; at most {@link #MAX_WAITERS}. */
    private final List<MembershipChange> rollbacks = new ArrayList<>();

    /**
     * @param linkProblem what the transport knows of why a peer does not answer ("" if nothing)
     * @param step        the node's one input path to its core
     */
    MembershipWaiters(int self, int timeoutTicks, IntFunction<String> linkProblem, ToLongFunction<Input> step) {
        this.self = self;
        this.timeoutTicks = timeoutTicks;
        this.linkProblem = linkProblem;
        this.step = step;
    }

    private long change(MembershipChange change) {
        return step.applyAsLong(new Input.ChangeMembership(change));
    }

    boolean full() {
        return waiters.size() >= MAX_WAITERS;
    }

    void add(MembershipChange change, CompletableFuture<Membership> future) {
        waiters.add(new Waiter(change, future, timeoutTicks));
    }

    void settle(RaftCore core) {
        for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
            Waiter w = it.next();
            Membership committed = core.committedMembership();
            if (w.change.satisfiedBy(committed)) {
                w.future.complete(committed);
            } else if (core.role() != Role.LEADER) {
                w.future.completeExceptionally(new NodeException(
                        NodeException.Reason.NOT_LEADER,
                        core.leaderId(),
                        "node " + self + " no longer leads; ask the leader again (" + w.change + ")"));
            } else if (w.ticksLeft <= 0) {
                w.future.completeExceptionally(timedOut(core, w.change));
            } else if (change(w.change) == -3) {
                w.future.completeExceptionally(new MembershipChangeEndedException(
                        MembershipChangeEndedException.Why.REFUSED,
                        w.change + " refused: " + core.membershipNote() + link(w.change)));
            } else {
                continue; // proposed, in force but not yet committed, or waiting: ask again after the next ready
            }
            it.remove();
        }
        settleRollbacks(core);
    }

    /** The change did not commit in time: why, and an add's learner is taken out again. */
    private MembershipChangeEndedException timedOut(RaftCore core, MembershipChange change) {
        String why = change + " not committed within " + TIMEOUT_MILLIS / 1000 + " s";
        Membership current = core.membership();
        if (change.kind() != MembershipChange.Kind.REMOVE && current.isLearner(change.nodeId())) {
            why += ": learner " + change.nodeId() + " has not caught up; it is taken out of the configuration again"
                    + " (its id is not used again)" + link(change);
            if (rollbacks.size() < MAX_WAITERS) {
                rollbacks.add(MembershipChange.remove(change.nodeId()));
            }
            change(MembershipChange.remove(change.nodeId())); // ends its promotion at once
        } else if (change.satisfiedBy(current)) {
            why += ": it is in the leader's log, not yet committed, so its outcome is unknown";
        } else if (!core.membershipNote().isEmpty()) {
            why += ": " + core.membershipNote();
        }
        return new MembershipChangeEndedException(MembershipChangeEndedException.Why.TIMED_OUT, why);
    }

    /** For an add: what the transport knows of the link to the new node, if anything. */
    private String link(MembershipChange change) {
        if (change.kind() == MembershipChange.Kind.REMOVE) {
            return "";
        }
        String problem = linkProblem.apply(change.nodeId());
        return problem == null || problem.isEmpty() ? "" : "; link to node " + change.nodeId() + ": " + problem;
    }

    private void settleRollbacks(RaftCore core) {
        if (core.role() != Role.LEADER) {
            rollbacks.clear(); // the new leader does not promote a learner nobody asked it to
            return;
        }
        rollbacks.removeIf(r -> r.satisfiedBy(core.committedMembership()) || change(r) == -3);
    }

    void tick() {
        waiters.forEach(w -> w.ticksLeft--);
    }

    /** The node stopped: every change still waiting ends with {@code why}. */
    void failAll(Throwable why) {
        waiters.forEach(w -> w.future.completeExceptionally(why));
        waiters.clear();
        rollbacks.clear();
    }
}
