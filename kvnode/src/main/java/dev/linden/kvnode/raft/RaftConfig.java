package dev.linden.kvnode.raft;

import java.util.Set;

/**
 * Tunables of the core. Time is counted in ticks; the driver decides how long a tick is
 * ({@code tickMillis} in the node configuration).
 *
 * @param electionTimeoutTicks      base election timeout; the randomized one is in [base, 2*base)
 * @param heartbeatIntervalTicks    leader heartbeat period; must be well below the election timeout
 * @param maxBatchEntries           most entries in one AppendEntries
 * @param maxBatchBytes             most entry bytes in one AppendEntries (one oversized entry still goes alone)
 * @param maxInflightAppends        pipelining window: AppendEntries in flight to one follower
 * @param maxUncommittedEntries     proposals are refused while this many entries await commit
 * @param maxReadsAwaitingQuorum    ReadIndex requests the core holds until a quorum confirms its leadership
 *                                  (the node's whole read pipeline is bounded by NodeConfig.maxReadsInFlight)
 * @param maxApplyBatchEntries      most committed entries handed to the apply stage per ready
 * @param preVote                   run a PreVote round before a real election (Raft thesis §9.6)
 * @param checkQuorum               leader steps down without a quorum's contact for an election timeout,
 *                                  and nodes that heard from a leader recently refuse to vote (leases)
 * @param maxSnapshotChunkBytes     bytes of snapshot per InstallSnapshot message
 * @param snapshotTrailingEntries   entries kept in the log behind a snapshot, so a follower that is only
 *                                  a little behind catches up from the log instead of a snapshot
 * @param maxCachedEntries          entry payloads kept in memory; older ones (durable and applied) are
 *                                  read back from storage when a follower needs them
 * @param leaseReads                linearizable reads may be served by the leader from its own state within
 *                                  a lease (thesis §6.4.1) instead of a ReadIndex round each; needs
 *                                  check-quorum (the lease rests on voters refusing to vote while they hear
 *                                  from a leader), and makes a restarted node refuse votes for its first
 *                                  election timeout (it forgot whom it heard from)
 * @param leaseDriftBoundTicks      how much shorter than the election timeout a lease is: the bound on how
 *                                  far the clocks of leader and voters may drift apart during one election
 *                                  timeout (at least 1 tick with lease reads)
 * @param testOnlyBugs              deliberately planted bugs, for the simulator's canaries only (empty in
 *                                  every real configuration): each breaks one rule of Raft, so the
 *                                  simulator shows it catches that class of bug
 */
public record RaftConfig(
        int electionTimeoutTicks,
        int heartbeatIntervalTicks,
        int maxBatchEntries,
        int maxBatchBytes,
        int maxInflightAppends,
        int maxUncommittedEntries,
        int maxReadsAwaitingQuorum,
        int maxApplyBatchEntries,
        boolean preVote,
        boolean checkQuorum,
        int maxSnapshotChunkBytes,
        int snapshotTrailingEntries,
        int maxCachedEntries,
        boolean leaseReads,
        int leaseDriftBoundTicks,
        Set<Bug> testOnlyBugs) {

    /** Planted bugs (see {@link #testOnlyBugs}). */
    public enum Bug {
        /** Grant votes without checking that the candidate's log is at least as up to date. */
        VOTE_WITHOUT_LOG_CHECK,
        /** Commit entries of earlier terms by counting replicas (Raft's Figure 8). */
        COMMIT_BY_COUNTING,
        /** Forget to persist the vote: after a restart the node may vote again in the same term. */
        VOTE_NOT_PERSISTED,
        /** Followers acknowledge entries before they are durable. */
        ACK_BEFORE_DURABLE,
        /** The leader counts its own entries toward the commit quorum before they are durable. */
        LEADER_COUNTS_UNDURABLE_SELF,
        /** ReadIndex reads are released without a quorum confirming leadership. */
        READ_INDEX_WITHOUT_QUORUM,
        /** A follower keeps the entries that conflict with the leader's instead of truncating them. */
        NO_TRUNCATE_ON_CONFLICT,
        /** Lease reads with a lease as long as the election timeout: no allowance for clock drift. */
        LEASE_WITHOUT_DRIFT_BOUND,
        /** A membership change may be proposed while an earlier one is still uncommitted. */
        CONCURRENT_MEMBERSHIP_CHANGES
    }

    public RaftConfig withTestOnlyBugs(Set<Bug> bugs) {
        return toBuilder().testOnlyBugs(bugs).build();
    }

    public boolean bug(Bug b) {
        return testOnlyBugs.contains(b);
    }

    public RaftConfig {
        Invariants.require(electionTimeoutTicks >= 2, "electionTimeoutTicks must be >= 2");
        Invariants.require(
                heartbeatIntervalTicks >= 1 && heartbeatIntervalTicks < electionTimeoutTicks,
                "heartbeatIntervalTicks must be in [1, electionTimeoutTicks)");
        Invariants.require(maxBatchEntries >= 1, "maxBatchEntries must be >= 1");
        Invariants.require(maxBatchBytes >= 1, "maxBatchBytes must be >= 1");
        Invariants.require(maxInflightAppends >= 1, "maxInflightAppends must be >= 1");
        Invariants.require(maxUncommittedEntries >= 1, "maxUncommittedEntries must be >= 1");
        Invariants.require(maxReadsAwaitingQuorum >= 1, "maxReadsAwaitingQuorum must be >= 1");
        Invariants.require(maxApplyBatchEntries >= 1, "maxApplyBatchEntries must be >= 1");
        Invariants.require(maxSnapshotChunkBytes >= 1, "maxSnapshotChunkBytes must be >= 1");
        Invariants.require(snapshotTrailingEntries >= 0, "snapshotTrailingEntries must be >= 0");
        Invariants.require(maxCachedEntries >= 1, "maxCachedEntries must be >= 1");
        Invariants.require(
                !leaseReads || checkQuorum,
                "lease reads need checkQuorum (voters refuse votes while "
                        + "they hear from a leader: the lease rests on it)");
        Invariants.require(
                !leaseReads || (leaseDriftBoundTicks >= 1 && leaseDriftBoundTicks < electionTimeoutTicks - 1),
                "leaseDriftBoundTicks must be in [1, electionTimeoutTicks - 1) with lease reads");
        testOnlyBugs = Set.copyOf(testOnlyBugs);
    }

    public static RaftConfig defaults() {
        return builder().build();
    }

    /** A builder holding the defaults; every field is set by name. */
    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.electionTimeoutTicks = electionTimeoutTicks;
        b.heartbeatIntervalTicks = heartbeatIntervalTicks;
        b.maxBatchEntries = maxBatchEntries;
        b.maxBatchBytes = maxBatchBytes;
        b.maxInflightAppends = maxInflightAppends;
        b.maxUncommittedEntries = maxUncommittedEntries;
        b.maxReadsAwaitingQuorum = maxReadsAwaitingQuorum;
        b.maxApplyBatchEntries = maxApplyBatchEntries;
        b.preVote = preVote;
        b.checkQuorum = checkQuorum;
        b.maxSnapshotChunkBytes = maxSnapshotChunkBytes;
        b.snapshotTrailingEntries = snapshotTrailingEntries;
        b.maxCachedEntries = maxCachedEntries;
        b.leaseReads = leaseReads;
        b.leaseDriftBoundTicks = leaseDriftBoundTicks;
        b.testOnlyBugs = testOnlyBugs;
        return b;
    }

    /** Named fields instead of a positional argument list; starts from the defaults. */
    public static final class Builder {
        private int electionTimeoutTicks = 10;
        private int heartbeatIntervalTicks = 2;
        private int maxBatchEntries = 512;
        private int maxBatchBytes = 1 << 20;
        private int maxInflightAppends = 64;
        private int maxUncommittedEntries = 100_000;
        private int maxReadsAwaitingQuorum = 100_000;
        private int maxApplyBatchEntries = 4096;
        private boolean preVote = true;
        private boolean checkQuorum = true;
        private int maxSnapshotChunkBytes = 1 << 20;
        private int snapshotTrailingEntries = 100_000;
        private int maxCachedEntries = 20_000;
        private boolean leaseReads = false;
        private int leaseDriftBoundTicks = 3;
        private Set<Bug> testOnlyBugs = Set.of();

        private Builder() {}

        public Builder electionTimeoutTicks(int v) {
            electionTimeoutTicks = v;
            return this;
        }

        public Builder heartbeatIntervalTicks(int v) {
            heartbeatIntervalTicks = v;
            return this;
        }

        public Builder maxBatchEntries(int v) {
            maxBatchEntries = v;
            return this;
        }

        public Builder maxBatchBytes(int v) {
            maxBatchBytes = v;
            return this;
        }

        public Builder maxInflightAppends(int v) {
            maxInflightAppends = v;
            return this;
        }

        public Builder maxUncommittedEntries(int v) {
            maxUncommittedEntries = v;
            return this;
        }

        public Builder maxReadsAwaitingQuorum(int v) {
            maxReadsAwaitingQuorum = v;
            return this;
        }

        public Builder maxApplyBatchEntries(int v) {
            maxApplyBatchEntries = v;
            return this;
        }

        public Builder preVote(boolean v) {
            preVote = v;
            return this;
        }

        public Builder checkQuorum(boolean v) {
            checkQuorum = v;
            return this;
        }

        public Builder maxSnapshotChunkBytes(int v) {
            maxSnapshotChunkBytes = v;
            return this;
        }

        public Builder snapshotTrailingEntries(int v) {
            snapshotTrailingEntries = v;
            return this;
        }

        public Builder maxCachedEntries(int v) {
            maxCachedEntries = v;
            return this;
        }

        public Builder leaseReads(boolean v) {
            leaseReads = v;
            return this;
        }

        public Builder leaseDriftBoundTicks(int v) {
            leaseDriftBoundTicks = v;
            return this;
        }

        public Builder testOnlyBugs(Set<Bug> v) {
            testOnlyBugs = v;
            return this;
        }

        /** Validates every field (see the record's constructor). */
        public RaftConfig build() {
            return new RaftConfig(
                    electionTimeoutTicks,
                    heartbeatIntervalTicks,
                    maxBatchEntries,
                    maxBatchBytes,
                    maxInflightAppends,
                    maxUncommittedEntries,
                    maxReadsAwaitingQuorum,
                    maxApplyBatchEntries,
                    preVote,
                    checkQuorum,
                    maxSnapshotChunkBytes,
                    snapshotTrailingEntries,
                    maxCachedEntries,
                    leaseReads,
                    leaseDriftBoundTicks,
                    testOnlyBugs);
        }
    }

    public RaftConfig withBatchLimits(int entries, int bytes) {
        return toBuilder().maxBatchEntries(entries).maxBatchBytes(bytes).build();
    }

    public RaftConfig withInflight(int inflight) {
        return toBuilder().maxInflightAppends(inflight).build();
    }

    public RaftConfig withPreVote(boolean on) {
        return toBuilder().preVote(on).build();
    }

    public RaftConfig withCheckQuorum(boolean on) {
        return toBuilder().checkQuorum(on).build();
    }

    public RaftConfig withMaxUncommitted(int entries) {
        return toBuilder().maxUncommittedEntries(entries).build();
    }

    public RaftConfig withSnapshots(int chunkBytes, int trailingEntries) {
        return toBuilder()
                .maxSnapshotChunkBytes(chunkBytes)
                .snapshotTrailingEntries(trailingEntries)
                .build();
    }

    public RaftConfig withMaxCachedEntries(int entries) {
        return toBuilder().maxCachedEntries(entries).build();
    }

    /**
     * How long a lease lasts, in ticks of the leader's clock from the moment its confirming round was asked:
     * the election timeout, less one tick (a voter's ticks are not in phase with the heartbeat that reset its
     * timer, so its election timeout can run out up to a tick early), less the drift bound.
     */
    public int leaseTicks() {
        return bug(Bug.LEASE_WITHOUT_DRIFT_BOUND)
                ? electionTimeoutTicks
                : electionTimeoutTicks - 1 - leaseDriftBoundTicks;
    }

    public RaftConfig withTimeouts(int electionTicks, int heartbeatTicks) {
        return toBuilder()
                .electionTimeoutTicks(electionTicks)
                .heartbeatIntervalTicks(heartbeatTicks)
                .build();
    }
}
