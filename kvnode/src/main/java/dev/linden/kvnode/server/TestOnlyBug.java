package dev.linden.kvnode.server;

import dev.linden.kvnode.kv.KvStateMachine;
import dev.linden.kvnode.node.NodeConfig;
import dev.linden.kvnode.raft.RaftConfig;
import dev.linden.kvnode.wal.WalConfig;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The planted bugs a node process can run with ({@code --test-only-bugs}), so the harness can show it catches on
 * real processes what the simulator's canaries catch in simulation. Each name is the canary's ({@code ./linden
 * sim --canaries}); none is ever on unless named, and a node that runs one says so loudly at start.
 *
 * <p>A process kill (SIGKILL) punishes a missing fsync only on a node whose writes stay in the process until synced
 * ({@code --test-only-lose-unsynced-writes}, {@link dev.linden.kvnode.wal.NioVfs#holdUnsyncedWrites}): on real
 * files the page cache outlives the process. {@link #FSYNC_LIES} implies it. Canaries that are not here cannot run
 * on a process: {@code no-dir-sync} skips directory syncs, and directory operations are not held; {@code
 * empty-rejoin} is an operator's act (a wiped node forced back with its old identity), done by a harness, not by
 * the node.
 */
public enum TestOnlyBug {
    /** Leaders answer reads from local state, without ReadIndex. */
    UNSAFE_READS(null),
    /** Recovery takes a cut or missing WAL segment for a clean end: the node votes with less than it acknowledged. */
    TRUST_LOST_LOG(null),
    /** The state machine runs retried commands again (no exactly-once sessions). */
    NO_DEDUP(null),
    /** Elections without PreVote. */
    NO_PRE_VOTE(null),
    VOTE_WITHOUT_LOG_CHECK(RaftConfig.Bug.VOTE_WITHOUT_LOG_CHECK),
    COMMIT_BY_COUNTING(RaftConfig.Bug.COMMIT_BY_COUNTING),
    VOTE_NOT_PERSISTED(RaftConfig.Bug.VOTE_NOT_PERSISTED),
    ACK_BEFORE_DURABLE(RaftConfig.Bug.ACK_BEFORE_DURABLE),
    LEADER_COUNTS_UNDURABLE_SELF(RaftConfig.Bug.LEADER_COUNTS_UNDURABLE_SELF),
    READ_INDEX_WITHOUT_QUORUM(RaftConfig.Bug.READ_INDEX_WITHOUT_QUORUM),
    /** Implies lease reads (the bug is in how long a lease lasts). */
    LEASE_WITHOUT_DRIFT_BOUND(RaftConfig.Bug.LEASE_WITHOUT_DRIFT_BOUND),
    NO_TRUNCATE_ON_CONFLICT(RaftConfig.Bug.NO_TRUNCATE_ON_CONFLICT),
    CONCURRENT_MEMBERSHIP_CHANGES(RaftConfig.Bug.CONCURRENT_MEMBERSHIP_CHANGES),
    /** Every fsync reports durability and provides none; implies writes held until synced (so a kill loses them). */
    FSYNC_LIES(null);

    private final RaftConfig.Bug raftBug;

    TestOnlyBug(RaftConfig.Bug raftBug) {
        this.raftBug = raftBug;
    }

    /** The name {@code --test-only-bugs} takes: the canary's. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The bug of this name, or null if a node process cannot run it. */
    public static TestOnlyBug byName(String name) {
        for (TestOnlyBug b : values()) {
            if (b.cliName().equals(name)) {
                return b;
            }
        }
        return null;
    }

    /** Parses names ({@code local-reads} is an old name of {@code unsafe-reads}); throws on an unknown one. */
    public static Set<TestOnlyBug> parse(List<String> names) {
        Set<TestOnlyBug> out = EnumSet.noneOf(TestOnlyBug.class);
        for (String raw : names) {
            String n = raw.trim().equals("local-reads") ? "unsafe-reads" : raw.trim();
            TestOnlyBug b = byName(n);
            if (b == null) {
                throw new IllegalArgumentException("--test-only-bugs: no planted bug '" + raw.trim()
                        + "' a node process can run (one of "
                        + String.join(
                                ", ",
                                Arrays.stream(values())
                                        .map(TestOnlyBug::cliName)
                                        .toList())
                        + ")");
            }
            out.add(b);
        }
        return out;
    }

    /**
     * The node's configuration with {@code bugs} planted in its core: the Raft bugs, PreVote off, lease reads
     * (with the default drift bound) for a lease bug. The bugs outside the core ({@link #UNSAFE_READS},
     * {@link #TRUST_LOST_LOG}, {@link #NO_DEDUP}) are planted by the server.
     */
    public static NodeConfig plant(Set<TestOnlyBug> bugs, NodeConfig config) {
        if (bugs.isEmpty()) {
            return config;
        }
        RaftConfig raft = config.raft();
        Set<RaftConfig.Bug> raftBugs = EnumSet.noneOf(RaftConfig.Bug.class);
        for (TestOnlyBug b : bugs) {
            if (b.raftBug != null) {
                raftBugs.add(b.raftBug);
            }
        }
        RaftConfig.Builder r = raft.toBuilder().testOnlyBugs(raftBugs);
        if (bugs.contains(NO_PRE_VOTE)) {
            r.preVote(false);
        }
        if (bugs.contains(LEASE_WITHOUT_DRIFT_BOUND) && !raft.leaseReads()) {
            int driftTicks = Math.max(1, raft.electionTimeoutTicks() * 3 / 10);
            r.leaseReads(true).leaseDriftBoundTicks(Math.min(driftTicks, raft.electionTimeoutTicks() - 2));
        }
        return config.withRaft(r.build());
    }

    /** The WAL's configuration, with {@link #TRUST_LOST_LOG} planted if asked. */
    public static WalConfig walConfig(Set<TestOnlyBug> bugs, WalConfig config) {
        return bugs.contains(TRUST_LOST_LOG)
                ? new WalConfig(config.maxSegmentBytes(), config.maxPendingWrites(), false, true)
                : config;
    }

    /** The state machine, without its client sessions' deduplication if {@link #NO_DEDUP} is planted. */
    public static KvStateMachine stateMachine(Set<TestOnlyBug> bugs, Supplier<KvStateMachine> real) {
        return bugs.contains(NO_DEDUP) ? KvStateMachine.withoutDeduplicationForTests() : real.get();
    }

    /** The line a node logs at start for its planted bugs ({@code loseUnsyncedWrites}: and its held writes). */
    public static String banner(Set<TestOnlyBug> bugs, boolean loseUnsyncedWrites) {
        if (bugs.isEmpty()) {
            return "event=test-only-disk lose-unsynced-writes=true detail=\"TEST-ONLY: writes are held in this process"
                    + " until an fsync covers them, so a kill loses them as a power cut would; slower, for tests of the"
                    + " harness only\"";
        }
        return "event=test-only-bug bugs="
                + String.join(",", bugs.stream().map(TestOnlyBug::cliName).toList())
                + (loseUnsyncedWrites || bugs.contains(FSYNC_LIES) ? " lose-unsynced-writes=true" : "")
                + " detail=\"THIS NODE IS DELIBERATELY BROKEN for tests of the harness: it may lose or invent"
                + " data; never run it with data you keep\"";
    }
}
