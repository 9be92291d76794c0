package dev.linden.kvnode.node;

import dev.linden.kvnode.raft.RaftConfig;

/**
 * @param raft                 the core's tunables (in ticks)
 * @param tickMillis           length of one core tick in milliseconds of the node's clock
 * @param maxPendingProposals  client proposals awaiting their result; more are refused
 * @param maxReadsInFlight     reads this node holds from intake to answer (awaiting confirmation or apply,
 *                             lease reads included); more are refused. The core's own queue of ReadIndex
 *                             requests has its bound apart: {@link RaftConfig#maxReadsAwaitingQuorum}
 * @param maxReadyLoops        bound on ready() rounds processed per input (guards against a livelock)
 * @param snapshotEveryEntries the state machine is snapshotted after this many entries applied since the
 *                             last snapshot, and the log before it compacted
 * @param sessionTtlMillis     client sessions idle this long expire (decided through the log by the leader)
 */
public record NodeConfig(
        RaftConfig raft,
        long tickMillis,
        int maxPendingProposals,
        int maxReadsInFlight,
        int maxReadyLoops,
        long snapshotEveryEntries,
        long sessionTtlMillis) {
    public NodeConfig {
        if (tickMillis < 1
                || maxPendingProposals < 1
                || maxReadsInFlight < 1
                || maxReadyLoops < 1
                || snapshotEveryEntries < 1
                || sessionTtlMillis < 1) {
            throw new IllegalArgumentException("node limits must be >= 1");
        }
    }

    public NodeConfig(
            RaftConfig raft,
            long tickMillis,
            int maxPendingProposals,
            int maxReadsInFlight,
            int maxReadyLoops,
            long snapshotEveryEntries) {
        this(
                raft,
                tickMillis,
                maxPendingProposals,
                maxReadsInFlight,
                maxReadyLoops,
                snapshotEveryEntries,
                DEFAULT_SESSION_TTL_MILLIS);
    }

    /** Five minutes: far beyond any client's retries of one command, so expiry never races a retry. */
    public static final long DEFAULT_SESSION_TTL_MILLIS = 300_000;

    public static NodeConfig defaults() {
        return new NodeConfig(RaftConfig.defaults(), 10, 200_000, 100_000, 10_000, 500_000, DEFAULT_SESSION_TTL_MILLIS);
    }

    /** How often the leader proposes a session expiry entry: a tenth of the ttl, within [1 s, 30 s]. */
    public long sessionExpiryEveryMillis() {
        return Math.max(Math.min(sessionTtlMillis, 1_000), Math.min(30_000, sessionTtlMillis / 10));
    }

    public NodeConfig withSessionTtlMillis(long ttl) {
        return new NodeConfig(
                raft, tickMillis, maxPendingProposals, maxReadsInFlight, maxReadyLoops, snapshotEveryEntries, ttl);
    }

    public NodeConfig withRaft(RaftConfig r) {
        return new NodeConfig(
                r,
                tickMillis,
                maxPendingProposals,
                maxReadsInFlight,
                maxReadyLoops,
                snapshotEveryEntries,
                sessionTtlMillis);
    }

    public NodeConfig withTickMillis(long t) {
        return new NodeConfig(
                raft, t, maxPendingProposals, maxReadsInFlight, maxReadyLoops, snapshotEveryEntries, sessionTtlMillis);
    }

    public NodeConfig withSnapshotEveryEntries(long entries) {
        return new NodeConfig(
                raft, tickMillis, maxPendingProposals, maxReadsInFlight, maxReadyLoops, entries, sessionTtlMillis);
    }
}
