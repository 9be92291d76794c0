package dev.linden.kvnode.raft;

/**
 * A follower's state under one leader: created when the node becomes a follower or learns of a new
 * leader, dropped on the next transition, so nothing of it outlives the leader it was about.
 *
 * <p>Invariant: {@code 0 <= lastAckSentIndex}; {@code verifiedIndex <= log.lastIndex()} once an append was
 * handled; a snapshot being received has {@code 0 <= receivedBytes <= receiving.sizeBytes()}.
 */
final class FollowerState {
    /** Highest index known to match the current leader's log. */
    long verifiedIndex;
    /** Highest match index acknowledged to this leader. */
    long lastAckSentIndex;
    /** The snapshot being received, chunk by chunk, or null. */
    SnapshotMeta receiving;

    byte[] receivingBytes;
    long receivedBytes;

    void startReceiving(SnapshotMeta meta) {
        receiving = meta;
        receivingBytes = new byte[(int) meta.sizeBytes()];
        receivedBytes = 0;
    }

    void stopReceiving() {
        receiving = null;
        receivingBytes = null;
    }

    void checkInvariants(int self, long term) {
        Invariants.check(
                lastAckSentIndex >= 0 && verifiedIndex >= 0,
                "follower indexes are non-negative",
                self,
                term,
                verifiedIndex);
        Invariants.check(
                receiving == null || (receivedBytes >= 0 && receivedBytes <= receiving.sizeBytes()),
                "snapshot bytes received within its size",
                self,
                term,
                receivedBytes);
    }
}
