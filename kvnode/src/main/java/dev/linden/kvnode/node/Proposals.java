package dev.linden.kvnode.node;

import dev.linden.kvnode.raft.Entry;
import dev.linden.kvnode.stats.LatencyTimes;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

/**
 * The client proposals a node holds until their entries are applied (raft stage): each future completes with the
 * state machine's result when its entry is applied at the term it was proposed in, and fails with LOST when
 * another leader's entry took its index, or UNKNOWN when a snapshot from the leader replaced it. Each proposal's
 * time from proposed to committed is recorded ({@link #commitTimes}): the replication round trip, both fsyncs
 * that count for it and the raft stage's turns, in one figure.
 */
final class Proposals {
    private record Pending(long index, long term, CompletableFuture<byte[]> future) {}

    /** In log-index order (they are appended in that order). */
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();

    private final int maxPending;
    private final LongSupplier nanos;
    private final LatencyTimes commitTimes = new LatencyTimes("commit");
    /**
     * Proposals not yet committed, oldest first, in a ring: index, term and when proposed. Never more than
     * pending holds (entries leave it at commit, before they leave pending at apply), so maxPending slots do.
     */
    private final long[] ringIndex;

    private final long[] ringTerm;
    private final long[] ringNanos;
    private int ringHead;
    private int ringSize;

    /** @param nanos the node's clock, or null: no commit times (a node made without one, in tests) */
    Proposals(int maxPending, LongSupplier nanos) {
        this.maxPending = maxPending;
        this.nanos = nanos;
        this.ringIndex = new long[maxPending];
        this.ringTerm = new long[maxPending];
        this.ringNanos = new long[maxPending];
    }

    LatencyTimes commitTimes() {
        return commitTimes;
    }

    /** At the bound ({@code NodeConfig.maxPendingProposals}): more are refused OVERLOADED. */
    boolean full() {
        return pending.size() >= maxPending;
    }

    void add(long index, long term, CompletableFuture<byte[]> future) {
        pending.addLast(new Pending(index, term, future));
        if (nanos == null) {
            return;
        }
        if (ringSize == ringIndex.length) {
            dropOldestTime(); // cannot happen (see the ring); were it to, a measurement must not stop the node
        }
        int slot = (ringHead + ringSize++) % ringIndex.length;
        ringIndex[slot] = index;
        ringTerm[slot] = term;
        ringNanos[slot] = nanos.getAsLong();
    }

    /** {@code batch} is committed: each proposal in it has its time recorded (none whose entry was replaced). */
    void committed(List<Entry> batch) {
        if (nanos == null) {
            return;
        }
        long now = nanos.getAsLong();
        for (Entry e : batch) {
            while (ringSize > 0 && ringIndex[ringHead] < e.index()) {
                dropOldestTime(); // its index was taken by another leader's entry: never committed
            }
            if (ringSize > 0 && ringIndex[ringHead] == e.index()) {
                if (ringTerm[ringHead] == e.term()) {
                    commitTimes.record(now - ringNanos[ringHead]);
                }
                dropOldestTime();
            }
        }
    }

    private void dropOldestTime() {
        ringHead = (ringHead + 1) % ringIndex.length;
        ringSize--;
    }

    private void dropTimesThrough(long index) {
        while (ringSize > 0 && ringIndex[ringHead] <= index) {
            dropOldestTime();
        }
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
        dropTimesThrough(index);
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
        ringSize = 0;
    }
}
