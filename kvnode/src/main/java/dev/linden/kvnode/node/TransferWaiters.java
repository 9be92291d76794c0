package dev.linden.kvnode.node;

import dev.linden.kvnode.raft.RaftCore;
import dev.linden.kvnode.raft.Role;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Callers of {@link RaftNode#transferLeadership} waiting for their transfer to end; raft stage only.
 * Bounded: a transfer is an operator's act, not a client's. After each ready, {@link #settle} ends those
 * whose outcome is known: the target leads, the transfer was abandoned, or another node leads.
 */
final class TransferWaiters {
    static final int MAX_WAITERS = 16;

    private record Waiter(int target, CompletableFuture<Integer> future) {}

    private final int self;
    private final List<Waiter> waiters = new ArrayList<>();

    TransferWaiters(int self) {
        this.self = self;
    }

    boolean full() {
        return waiters.size() >= MAX_WAITERS;
    }

    void add(int target, CompletableFuture<Integer> future) {
        waiters.add(new Waiter(target, future));
    }

    void settle(RaftCore core) {
        if (waiters.isEmpty()) {
            return;
        }
        int leaderNow = core.leaderId();
        for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
            Waiter w = it.next();
            if (leaderNow == w.target()) {
                w.future().complete(w.target());
            } else if (core.role() == Role.LEADER && core.transferTarget() != w.target()) {
                w.future()
                        .completeExceptionally(new NodeException(
                                NodeException.Reason.NOT_LEADER,
                                self,
                                "leadership transfer to node " + w.target()
                                        + " abandoned: it did not take over in time"));
            } else if (leaderNow != RaftCore.NO_NODE && leaderNow != self) {
                w.future()
                        .completeExceptionally(new NodeException(
                                NodeException.Reason.NOT_LEADER,
                                leaderNow,
                                "node " + leaderNow + " leads instead of " + w.target()));
            } else {
                continue;
            }
            it.remove();
        }
    }

    /** The node stopped: every transfer still waiting ends with {@code why}. */
    void failAll(Throwable why) {
        waiters.forEach(w -> w.future().completeExceptionally(why));
        waiters.clear();
    }
}
