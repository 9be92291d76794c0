package dev.linden.sim;

import dev.linden.kvadapter.KvApi;
import dev.linden.kvnode.raft.RaftConfig;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * How a simulated cluster is built, beyond what the test says (nodes, seed): the deliberately broken
 * variants ("canaries") that show the harness catches what it should (none is on by default), and how many
 * workers share one client process ({@code workersPerClient}: {@value #DEFAULT_WORKERS_PER_CLIENT} by
 * default, so client cores hold several requests open; 1 gives every worker a client of its own), and which of
 * the store's APIs the clients use ({@link KvApi}: plain commands by default, or ranges and transactions).
 */
public record SimOptions(Set<Canary> bugs, int workersPerClient, Path recordCores, KvApi kvApi) {
    /** Workers per client process by default: two, so each client core pipelines. */
    public static final int DEFAULT_WORKERS_PER_CLIENT = 2;

    /** A planted bug, by the name {@code --bug} takes. */
    public enum Canary {
        UNSAFE_READS("leaders answer reads from local state, without ReadIndex", null),
        FSYNC_LIES("fsync reports durability it does not provide", null),
        NO_DIR_SYNC(
                "directories are never synced: new segments, renamed hard state and snapshots may vanish in a "
                        + "crash",
                null),
        EMPTY_REJOIN("a node whose disk was replaced is forced back as a new voter", null),
        TRUST_LOST_LOG(
                "a WAL whose tail was cut or whose segments were deleted is taken for a clean end: the node "
                        + "votes with less log than it acknowledged",
                null),
        NO_DEDUP("the state machine runs retried commands again (no exactly-once sessions)", null),
        VOTE_WITHOUT_LOG_CHECK(
                "votes are granted without checking the candidate's log", RaftConfig.Bug.VOTE_WITHOUT_LOG_CHECK),
        COMMIT_BY_COUNTING(
                "entries of earlier terms are committed by counting replicas", RaftConfig.Bug.COMMIT_BY_COUNTING),
        VOTE_NOT_PERSISTED(
                "the vote is not persisted: a restarted node may vote twice in a term",
                RaftConfig.Bug.VOTE_NOT_PERSISTED),
        ACK_BEFORE_DURABLE("followers acknowledge entries before they are durable", RaftConfig.Bug.ACK_BEFORE_DURABLE),
        LEADER_COUNTS_UNDURABLE_SELF(
                "the leader counts its own entries toward commit before they are durable",
                RaftConfig.Bug.LEADER_COUNTS_UNDURABLE_SELF),
        READ_INDEX_WITHOUT_QUORUM(
                "ReadIndex reads are released without a quorum confirming leadership",
                RaftConfig.Bug.READ_INDEX_WITHOUT_QUORUM),
        NO_PRE_VOTE(
                "elections without PreVote: a node cut off in part keeps deposing a leader a majority can reach", null),
        LEASE_WITHOUT_DRIFT_BOUND(
                "lease reads with a lease as long as the election timeout: clock drift lets a "
                        + "deposed leader serve stale reads",
                RaftConfig.Bug.LEASE_WITHOUT_DRIFT_BOUND),
        NO_TRUNCATE_ON_CONFLICT(
                "followers keep entries that conflict with the leader's", RaftConfig.Bug.NO_TRUNCATE_ON_CONFLICT),
        CONCURRENT_MEMBERSHIP_CHANGES(
                "a membership change is proposed while another is uncommitted: two changes in "
                        + "flight let the old and the new configuration form disjoint majorities",
                RaftConfig.Bug.CONCURRENT_MEMBERSHIP_CHANGES);

        private final String what;
        private final RaftConfig.Bug raftBug;

        Canary(String what, RaftConfig.Bug raftBug) {
            this.what = what;
            this.raftBug = raftBug;
        }

        public String cliName() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        public String what() {
            return what;
        }

        public static Canary parse(String name) {
            String n = name.equals("local-reads") ? "unsafe-reads" : name;
            for (Canary c : values()) {
                if (c.cliName().equals(n)) {
                    return c;
                }
            }
            throw new IllegalArgumentException("unknown bug '" + name + "' (none, "
                    + String.join(
                            ", ", Arrays.stream(values()).map(Canary::cliName).toList()) + ")");
        }
    }

    public SimOptions {
        bugs = bugs.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(bugs));
        if (kvApi == null) {
            throw new IllegalArgumentException("a KV API is required");
        }
        if (workersPerClient < 1 || workersPerClient > 64) {
            throw new IllegalArgumentException("workers per client: 1 to 64, not " + workersPerClient);
        }
    }

    /** These bugs, with the default workers per client and no recording. */
    public SimOptions(Set<Canary> bugs) {
        this(bugs, DEFAULT_WORKERS_PER_CLIENT, null, KvApi.PLAIN);
    }

    /** The same options with {@code n} workers per client process (1: no pipelining). */
    public SimOptions withWorkersPerClient(int n) {
        return new SimOptions(bugs, n, recordCores, kvApi);
    }

    /** The same options with the clients going through {@code api}. */
    public SimOptions withKvApi(KvApi api) {
        return new SimOptions(bugs, workersPerClient, recordCores, api);
    }

    /**
     * Records every input to each node's core into {@code prefix.node-N.core} (all its incarnations, one file
     * a node), for {@link dev.linden.kvnode.node.CoreReplay}; null: no recording.
     */
    public SimOptions withRecordCores(Path prefix) {
        return new SimOptions(bugs, workersPerClient, prefix, kvApi);
    }

    public static SimOptions defaults() {
        return new SimOptions(Set.of());
    }

    /** The variant a {@code --bug} name selects (or {@code none}). */
    public static SimOptions withBug(String bug) {
        return bug.equals("none") ? defaults() : new SimOptions(Set.of(Canary.parse(bug)));
    }

    public boolean unsafeLocalReads() {
        return bugs.contains(Canary.UNSAFE_READS);
    }

    public boolean fsyncLies() {
        return bugs.contains(Canary.FSYNC_LIES);
    }

    public boolean dirSyncSkipped() {
        return bugs.contains(Canary.NO_DIR_SYNC);
    }

    public boolean preVoteOff() {
        return bugs.contains(Canary.NO_PRE_VOTE);
    }

    public boolean trustLostLog() {
        return bugs.contains(Canary.TRUST_LOST_LOG);
    }

    public boolean forceEmptyRejoin() {
        return bugs.contains(Canary.EMPTY_REJOIN);
    }

    public boolean noDedup() {
        return bugs.contains(Canary.NO_DEDUP);
    }

    /** The planted bugs of the Raft core. */
    public Set<RaftConfig.Bug> raftBugs() {
        EnumSet<RaftConfig.Bug> out = EnumSet.noneOf(RaftConfig.Bug.class);
        for (Canary c : bugs) {
            if (c.raftBug != null) {
                out.add(c.raftBug);
            }
        }
        return out;
    }

    public String bugName() {
        return bugs.isEmpty()
                ? "none"
                : String.join(",", bugs.stream().map(Canary::cliName).sorted().toList());
    }
}
