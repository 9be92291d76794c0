package dev.linden.kvnode.node;

import dev.linden.kvnode.raft.Entry;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The client proposals a node holds until their entries are applied (raft stage): each future completes with the
 * state machine's result when its entry is applied at the term it was proposed in, and fails with LOST when
 * another leader's entry took its index, or UNKNOWN when a snapshot from the leader replaced it.
 */
final class Proposals {
    private record Pending(long index, long term, CompletableFuture<byte[]> future) {}

    /** In log-index order (they are appended in that order). */
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();

    private final int maxPending;

    Proposals(int maxPending) {
        this.maxPending = maxPending;
    }

    /** At the bound ({@code NodeConfig.maxPendingProposals}): more are refused OVERLOADED. */
    boolean full() {
        return pending.size() >= maxPending;
    }

    void add(long index, long term, CompletableFuture<byte[]> future) {
        pending.addLast(new Pending(index, term, future));
    }

    /** The apply stage applied {@code batch} with {@code results} (null for entries that are not commands). */
    void applied(List<Entry> batch, List<byte[]> results, int leaderHint) {
        for (int i = 0; i < batch.size(); i++) {
            Entry e = batch.get(i);
            while (!pending.isEmpty() && pending.peekFirst().index() < e.index()) {
                // A proposal whose index was applied earlier without it (cannot happen in order; defensive).
                pending.pollFirst()
                        .future()
                        .completeExceptionally(new NodeException(
                                NodeException.Reason.LOST, leaderHint, "entry was overwritten by a new leader"));
            }
            if (pending.isEmpty() || pending.peekFirst().index() != e.index()) {
                continue;
            }
            Pending p = pending.pollFirst();
            if (p.term() == e.term()) {
                p.future().complete(results.get(i));
            } else {
                p.future()
                        .completeExceptionally(new NodeException(
                                NodeException.Reason.LOST,
                                leaderHint,
                                "entry " + e.index() + " was overwritten by a new leader"));
            }
        }
    }

    /** The state machine now holds a snapshot from the leader through {@code index}: outcomes up to it are unknown. */
    void replacedThrough(long index, int leaderHint) {
        while (!pending.isEmpty() && pending.peekFirst().index() <= index) {
            pending.pollFirst()
                    .future()
                    .completeExceptionally(new NodeException(
                            NodeException.Reason.UNKNOWN, leaderHint, "replaced by a snapshot from the leader"));
        }
    }

    void failAll(NodeException reason) {
        pending.forEach(p -> p.future().completeExceptionally(reason));
        pending.clear();
    }
}
