package dev.linden.kvnode.node;

import dev.linden.kvnode.raft.Membership;
import dev.linden.kvnode.raft.MembershipChange;
import dev.linden.kvnode.raft.RaftCore;
import dev.linden.kvnode.raft.Role;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Callers of {@link RaftNode#changeMembership} waiting for their change to be committed; raft stage only.
 * Bounded by count (a change is an operator's act) and by time. After each ready, {@link #settle} asks
 * the core again for changes it throttled (one change at a time, and none before an entry of the leader's
 * term commits), and ends those whose outcome is known: committed, refused, or this node no longer leads.
 * A caller that saw NOT_LEADER retries at the leader: asking again for a change in force is a no-op.
 */
final class MembershipWaiters {
    static final int MAX_WAITERS = 16;

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
    private final List<Waiter> waiters = new ArrayList<>();

    MembershipWaiters(int self, int timeoutTicks) {
        this.self = self;
        this.timeoutTicks = timeoutTicks;
    }

    boolean full() {
        return waiters.size() >= MAX_WAITERS;
    }

    void add(MembershipChange change, CompletableFuture<Membership> future) {
        waiters.add(new Waiter(change, future, timeoutTicks));
    }

    void settle(RaftCore core) {
        for (Iterator<Waiter> it = waiters.iterator(); it.hasNext();) {
            Waiter w = it.next();
            Membership committed = core.committedMembership();
            if (w.change.satisfiedBy(committed)) {
                w.future.complete(committed);
            } else if (core.role() != Role.LEADER) {
                w.future.completeExceptionally(new NodeException(NodeException.Reason.NOT_LEADER, core.leaderId(),
                        "node " + self + " no longer leads; ask the leader again (" + w.change + ")"));
            } else if (w.ticksLeft <= 0) {
                w.future.completeExceptionally(new NodeException(NodeException.Reason.UNKNOWN, self, w.change
                        + " not committed in time" + (core.membership().isLearner(w.change.nodeId())
                        ? ": learner " + w.change.nodeId() + " has not caught up" : "")));
            } else if (core.changeMembership(w.change) == -3) {
                w.future.completeExceptionally(new IllegalArgumentException(w.change + " refused: see the node's log"));
            } else {
                continue; // proposed, in force but not yet committed, or throttled: ask again after the next ready
            }
            it.remove();
        }
    }

    void tick() {
        waiters.forEach(w -> w.ticksLeft--);
    }

    /** The node stopped: every change still waiting ends with {@code why}. */
    void failAll(Throwable why) {
        waiters.forEach(w -> w.future.completeExceptionally(why));
        waiters.clear();
    }
}
