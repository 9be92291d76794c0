package dev.linden.kvnode.raft;

import java.util.ArrayDeque;

/**
 * The leader's view of one follower (etcd calls this Progress). Invariant: 0 <= matchIndex < nextIndex.
 *
 * <p>In {@link State#PROBE} the leader sends one AppendEntries at a time and waits for the answer, to
 * find where the logs agree. In {@link State#REPLICATE} it streams: {@code nextIndex} advances
 * optimistically as soon as a message is sent, with at most {@code maxInflight} unacknowledged messages.
 */
final class Progress {
    enum State {
        PROBE,
        REPLICATE,
        SNAPSHOT
    }

    final int nodeId;
    long matchIndex;
    long nextIndex;
    State state = State.PROBE;
    /** In PROBE: a probe is outstanding; cleared by any response or by a heartbeat response. */
    boolean probeSent;
    /** Last index carried by each unacknowledged AppendEntries, oldest first. Bounded by maxInflight. */
    final ArrayDeque<Long> inflightLastIndexes = new ArrayDeque<>();

    final int maxInflight;
    /** A voter of the configuration in force (else a learner: replicated to, never counted in a quorum). */
    boolean voter = true;
    /** Heard from this follower since the last check-quorum round. */
    boolean recentActive;
    /** Highest ReadIndex round this follower confirmed in the current term. */
    long readSeqAcked;
    /** Ticks since matchIndex last advanced while messages were in flight (detects lost appends). */
    int ticksWithoutProgress;
    /** In SNAPSHOT: the snapshot being sent, the next byte to send, and whether a chunk is unanswered. */
    long snapshotIndex;

    long snapshotTerm;
    long snapshotBytes;
    long snapshotOffset;
    boolean chunkInFlight;
    /** A probe must go out even with nothing new to send (the follower may have lost log); cleared by an answer. */
    boolean probeRequired;
    /** Entries for this follower are being read back from storage (evicted from memory). */
    boolean fetchPending;

    Progress(int nodeId, long nextIndex, int maxInflight) {
        this.nodeId = nodeId;
        this.nextIndex = nextIndex;
        this.maxInflight = maxInflight;
    }

    boolean canSend() {
        if (fetchPending) {
            return false;
        }
        if (state == State.SNAPSHOT) {
            return false; // chunks are paced separately; entries wait until the snapshot is installed
        }
        return state == State.PROBE ? !probeSent : inflightLastIndexes.size() < maxInflight;
    }

    void sent(long lastIndex) {
        if (state == State.PROBE) {
            probeSent = true;
        } else {
            if (inflightLastIndexes.size() >= maxInflight) {
                throw new InvariantViolation("inflight window overflow for node " + nodeId);
            }
            inflightLastIndexes.addLast(lastIndex);
            nextIndex = lastIndex + 1;
        }
    }

    /** A success ack: returns true if matchIndex advanced. */
    boolean acked(long index) {
        probeSent = false;
        boolean advanced = index > matchIndex;
        if (advanced) {
            matchIndex = index;
            ticksWithoutProgress = 0;
        }
        if (nextIndex <= matchIndex) {
            nextIndex = matchIndex + 1;
        }
        while (!inflightLastIndexes.isEmpty() && inflightLastIndexes.peekFirst() <= matchIndex) {
            inflightLastIndexes.removeFirst();
        }
        if (state == State.PROBE || (state == State.SNAPSHOT && matchIndex >= snapshotIndex)) {
            becomeReplicate();
        }
        return advanced;
    }

    void becomeProbe(long next) {
        state = State.PROBE;
        probeSent = false;
        inflightLastIndexes.clear();
        nextIndex = Math.max(matchIndex + 1, next);
        ticksWithoutProgress = 0;
    }

    void becomeSnapshot(long index, long term, long bytes) {
        state = State.SNAPSHOT;
        probeSent = false;
        inflightLastIndexes.clear();
        snapshotIndex = index;
        snapshotTerm = term;
        snapshotBytes = bytes;
        snapshotOffset = 0;
        chunkInFlight = false;
        ticksWithoutProgress = 0;
    }

    void becomeReplicate() {
        state = State.REPLICATE;
        probeSent = false;
        inflightLastIndexes.clear();
        nextIndex = matchIndex + 1;
    }

    @Override
    public String toString() {
        return "Progress{" + nodeId + " " + state
                + (state == State.SNAPSHOT ? " snap=" + snapshotIndex + "@" + snapshotOffset + "/" + snapshotBytes : "")
                + " match=" + matchIndex + " next=" + nextIndex
                + " inflight=" + inflightLastIndexes.size() + "}";
    }
}
