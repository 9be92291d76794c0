package dev.linden.kvnode.raft;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * ReadIndex (Raft thesis §6.4), one instance per leader term. A read asked for at commit index {@code c}
 * may be served once a quorum has confirmed, after the read arrived, that this node is still the leader:
 * reads queued since the last round are confirmed together by one heartbeat broadcast carrying a new round
 * number ({@code readSeq}). A new leader first waits for an entry of its own term to commit (§8): until
 * then its commit index may lag the true one.
 *
 * <p>Every queue is bounded by {@code maxReadsAwaitingQuorum} in total; when the leader steps down, every read
 * still queued fails (the client retries elsewhere).
 */
final class ReadIndex {
    /** A read waiting for confirmation: answer {@code ctx} once applied reaches {@code index}. */
    private record PendingRead(long ctx, long index) {}

    /** A read in the confirmation round {@code seq}. */
    private record ReadInRound(long ctx, long index, long seq) {}

    private final RaftCore core;
    private final LeaderState leader;
    /** The latest confirmation round started in this term. */
    long readSeq;

    private final ArrayDeque<Long> awaitingOwnTermCommit = new ArrayDeque<>();
    private final ArrayList<PendingRead> toConfirm = new ArrayList<>();
    private final ArrayDeque<ReadInRound> awaitingQuorum = new ArrayDeque<>();

    ReadIndex(RaftCore core, LeaderState leader) {
        this.core = core;
        this.leader = leader;
    }

    int pending() {
        return awaitingOwnTermCommit.size() + toConfirm.size() + awaitingQuorum.size();
    }

    /** Queues a read; {@code ownTermCommitted} tells whether the commit index is known current. */
    void ask(long ctx, boolean ownTermCommitted, long commitIndex) {
        if (!ownTermCommitted) {
            awaitingOwnTermCommit.addLast(ctx);
        } else {
            toConfirm.add(new PendingRead(ctx, commitIndex));
        }
    }

    /** An entry of this term committed: the reads that waited for it are read at the new commit index. */
    void ownTermCommitted(long commitIndex) {
        while (!awaitingOwnTermCommit.isEmpty()) {
            toConfirm.add(new PendingRead(awaitingOwnTermCommit.pollFirst(), commitIndex));
        }
    }

    boolean roundDue() {
        return !toConfirm.isEmpty();
    }

    /** Confirms leadership for all reads queued since the last round with one heartbeat broadcast. */
    void startRound() {
        if (toConfirm.isEmpty()) {
            return;
        }
        readSeq++;
        for (PendingRead r : toConfirm) {
            awaitingQuorum.addLast(new ReadInRound(r.ctx(), r.index(), readSeq));
        }
        toConfirm.clear();
        if (core.votersArray().length == 1 || core.config().bug(RaftConfig.Bug.READ_INDEX_WITHOUT_QUORUM)) {
            releaseConfirmed();
            return;
        }
        core.replication.broadcastHeartbeat();
    }

    /**
     * Starts a round with no read in it, to learn which voters answer now (a removal's reachability check):
     * an answer carrying its number or a later one was sent after this call. Returns the round's number.
     */
    long startConfirmationRound() {
        readSeq++;
        core.replication.broadcastHeartbeat();
        return readSeq;
    }

    /** Releases the reads of every round a quorum (this node included) has confirmed. */
    void releaseConfirmed() {
        int[] voters = core.votersArray();
        long[] acked = new long[voters.length];
        int i = 0;
        for (int v : voters) {
            acked[i++] = v == core.id() ? readSeq : leader.progress.get(v).readSeqAcked;
        }
        Arrays.sort(acked);
        long confirmedSeq = core.config().bug(RaftConfig.Bug.READ_INDEX_WITHOUT_QUORUM)
                ? readSeq
                : acked[voters.length - core.quorum()];
        while (!awaitingQuorum.isEmpty() && awaitingQuorum.peekFirst().seq() <= confirmedSeq) {
            ReadInRound r = awaitingQuorum.pollFirst();
            core.out.readStates.add(new Ready.ReadState(r.ctx(), r.index()));
        }
    }

    /** The leader steps down: every queued read fails, in the order the queues held them. */
    void failAll(List<Long> failed) {
        awaitingOwnTermCommit.forEach(failed::add);
        toConfirm.forEach(r -> failed.add(r.ctx()));
        awaitingQuorum.forEach(r -> failed.add(r.ctx()));
        awaitingOwnTermCommit.clear();
        toConfirm.clear();
        awaitingQuorum.clear();
    }
}
