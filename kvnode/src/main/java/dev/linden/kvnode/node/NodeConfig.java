package dev.linden.kvnode.node;

import dev.linden.kvnode.raft.RaftConfig;

/**
 * @param raft                 the core's tunables (in ticks)
 * @param tickMillis           length of one core tick in milliseconds of the node's clock
 * @param maxPendingProposals  client proposals awaiting their result; more are refused
 * @param maxPendingReads      ReadIndex reads awaiting confirmation or apply; more are refused
 * @param maxReadyLoops        bound on ready() rounds processed per input (guards against a livelock)
 * @param snapshotEveryEntries the state machine is snapshotted after this many entries applied since the
 *                             last snapshot, and the log before it compacted
 */
public record NodeConfig(RaftConfig raft, long tickMillis, int maxPendingProposals, int maxPendingReads,
                         int maxReadyLoops, long snapshotEveryEntries) {
    public NodeConfig {
        if (tickMillis < 1 || maxPendingProposals < 1 || maxPendingReads < 1 || maxReadyLoops < 1
                || snapshotEveryEntries < 1) {
            throw new IllegalArgumentException("node limits must be >= 1");
        }
    }

    public static NodeConfig defaults() {
        return new NodeConfig(RaftConfig.defaults(), 10, 200_000, 100_000, 10_000, 500_000);
    }

    public NodeConfig withRaft(RaftConfig r) {
        return new NodeConfig(r, tickMillis, maxPendingProposals, maxPendingReads, maxReadyLoops, snapshotEveryEntries);
    }

    public NodeConfig withTickMillis(long t) {
        return new NodeConfig(raft, t, maxPendingProposals, maxPendingReads, maxReadyLoops, snapshotEveryEntries);
    }

    public NodeConfig withSnapshotEveryEntries(long entries) {
        return new NodeConfig(raft, tickMillis, maxPendingProposals, maxPendingReads, maxReadyLoops, entries);
    }
}
