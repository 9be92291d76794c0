package dev.linden.kvnode.server;

import dev.linden.kvnode.client.KvClient;
import dev.linden.kvnode.net.ClientPortLimits;
import dev.linden.kvnode.net.PeerPortLimits;
import dev.linden.kvnode.node.NodeConfig;
import dev.linden.kvnode.node.StorageFailedException;
import dev.linden.kvnode.raft.RaftConfig;
import dev.linden.kvnode.service.KvLimits;
import dev.linden.kvnode.wal.NodeIdentity;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ./linden node}: runs one kvnode process until SIGTERM. Exit codes: 0 clean shutdown, 2 the
 * configuration, the data dir (in use, foreign, empty for an existing cluster) or the WAL is unusable, or a
 * peer refused this data dir as a member bootstrapped anew (the message says why and what to do), 70 a stage
 * failed, 74 a write could not be made durable (disk full or failing; what was durable is intact and the node
 * recovers from it once restarted with room).
 */
@Command(name = "node", mixinStandardHelpOptions = true, description = "Run one Linden KV node process.")
public final class NodeCommand implements Callable<Integer> {
    /**
     * The node process's entry point, the same as {@code ./linden node}: the real-process environment starts
     * nodes with this class on the classpath it runs with, so it needs no command line of its own.
     */
    public static void main(String[] args) {
        System.exit(new CommandLine(new NodeCommand()).execute(args));
    }

    @Mixin
    NodeTestOnlyOptions testOnly = new NodeTestOnlyOptions();

    @Option(
            names = "--exit-with-parent",
            hidden = true,
            description = "exit when the process with this pid is gone " + "(nodes a test harness starts)")
    Long exitWithParent;

    @Option(names = "--id", description = "this node's id (>= 1)")
    Integer id;

    @Option(names = "--peers", description = "every node's peer address: 1=host:port,2=host:port,...")
    String peers;

    @Option(names = "--client-port", description = "port for clients")
    Integer clientPort;

    @Option(names = "--client-host", description = "address to bind for clients (default 127.0.0.1)")
    String clientHost = "127.0.0.1";

    @Option(names = "--data-dir", description = "where the WAL and logs live")
    Path dataDir;

    @Option(
            names = "--accept-lost-log",
            description = "this node lost log it had acknowledged and no leader of a "
                    + "later term can repair it (a single voter, or too many nodes damaged at once): let it vote "
                    + "again with the log it has. Writes it acknowledged and lost may then be lost for good")
    boolean acceptLostLog;

    @Option(names = "--fsync", description = "on (default) or off (benchmarks only: acknowledged writes may be lost)")
    String fsync = "on";

    @Option(
            names = "--events",
            description = "on (default) or off: the event stream for safety monitors, events.jsonl in the data dir")
    String events = "on";

    @Option(
            names = {"--snapshot-count", "--snapshot-every"},
            description =
                    "snapshot the state and compact the log after this many entries (etcd's name; " + "default 500000)")
    Long snapshotEvery;

    @Option(
            names = "--snapshot-catchup-entries",
            description = "entries kept in the log behind a snapshot, so a follower a little behind catches up "
                    + "from the log rather than by InstallSnapshot (as etcd's; default a fifth of --snapshot-count, "
                    + "at most 100000)")
    Long snapshotCatchupEntries;

    @Option(
            names = "--cluster-id",
            description = "the cluster this node belongs to; written into a new data dir "
                    + "and checked at every start and with every peer")
    String clusterId;

    @Option(
            names = "--initial-cluster-state",
            description = "new (default): an empty data dir is bootstrapped as a "
                    + "member of a new cluster; existing: the cluster exists, so an empty data dir means this node "
                    + "lost its data and it refuses to start; join: a node new to a running cluster, bootstrapped "
                    + "with no members (it learns the configuration once added)")
    String initialClusterState;

    @Option(
            names = "--initial-voters",
            split = ",",
            description = "the members a new cluster is bootstrapped with "
                    + "(default: every node of --peers; --peers may name nodes to be added later)")
    List<Integer> initialVoters;

    @Option(
            names = "--election-timeout-ms",
            description = "base election timeout (default 1000; the randomized one " + "is in [base, 2 x base))")
    Long electionTimeoutMillis;

    @Option(names = "--heartbeat-ms", description = "leader heartbeat interval (default 100)")
    Long heartbeatMillis;

    @Option(
            names = "--session-ttl-ms",
            description = "client sessions idle this long expire, decided through the " + "log (default 300000)")
    Long sessionTtlMillis;

    @Option(
            names = "--read-mode",
            description = "read-index (default: a quorum round per batch of reads) or lease "
                    + "(the leader serves reads alone within a lease: an election timeout less --lease-drift-bound-ms; "
                    + "every node of a cluster must use the same)")
    String readMode;

    @Option(
            names = "--lease-drift-bound-ms",
            description = "with --read-mode lease: how far the nodes' clocks may "
                    + "drift apart in one election timeout (default 30%% of it)")
    Long leaseDriftBoundMillis;

    @Mixin
    NodeLimitOptions limits = new NodeLimitOptions();

    @Mixin
    NodeTlsOptions tls = new NodeTlsOptions();

    @Option(
            names = "--config",
            description = "properties file with any of the options above, named without the "
                    + "leading dashes (id, peers, client-port, data-dir, cluster-id, quota-bytes, ...); flags win")
    Path config;

    /** The planted bugs, once the options are read (empty unless --test-only-bugs). */
    private Set<TestOnlyBug> bugs = Set.of();

    /** The peer port's limits, once the options are read. */
    private PeerPortLimits peerLimits = PeerPortLimits.defaults();

    /** The base election timeout unless configured: a loaded machine's pauses must not start elections. */
    public static final long DEFAULT_ELECTION_TIMEOUT_MILLIS = 1000;

    public static final long DEFAULT_HEARTBEAT_MILLIS = 100;

    /** The node configuration for a snapshot interval (null: the default) with the default timeouts. */
    public static NodeConfig nodeConfig(Long snapshotEvery) {
        return nodeConfig(snapshotEvery, DEFAULT_ELECTION_TIMEOUT_MILLIS, DEFAULT_HEARTBEAT_MILLIS);
    }

    /** The node configuration for a snapshot interval (null: the default) and timeouts in milliseconds. */
    public static NodeConfig nodeConfig(Long snapshotEvery, long electionTimeoutMillis, long heartbeatMillis) {
        NodeConfig nodeConfig = NodeConfig.defaults();
        long tick = nodeConfig.tickMillis();
        if (electionTimeoutMillis < 2 * tick || heartbeatMillis < tick || heartbeatMillis * 2 > electionTimeoutMillis) {
            throw new IllegalArgumentException("--election-timeout-ms must be >= " + 2 * tick
                    + " and --heartbeat-ms in [" + tick + ", election timeout / 2]");
        }
        nodeConfig = nodeConfig.withRaft(
                nodeConfig.raft().withTimeouts((int) (electionTimeoutMillis / tick), (int) (heartbeatMillis / tick)));
        if (snapshotEvery == null) {
            return nodeConfig;
        }
        // Entries kept behind a snapshot for followers a little behind: a fifth of the interval.
        int trailing = (int) Math.min(nodeConfig.raft().snapshotTrailingEntries(), snapshotEvery / 5);
        return nodeConfig
                .withSnapshotEveryEntries(snapshotEvery)
                .withRaft(nodeConfig.raft().withSnapshots(nodeConfig.raft().maxSnapshotChunkBytes(), trailing));
    }

    @Override
    public Integer call() throws Exception {
        MemorySplit.beforeNetty(); // before any Netty class loads
        Properties p = new Properties();
        if (config != null) {
            try (InputStream in = Files.newInputStream(config)) {
                p.load(in);
            }
        }
        KvNodeServer.Options options;
        try {
            options = options(p);
        } catch (IllegalArgumentException e) {
            System.err.println("linden node: " + e.getMessage());
            return 2;
        }
        KvNodeServer server = new KvNodeServer(options);
        if (!bugs.isEmpty() || testOnly.loseUnsyncedWrites) {
            System.err.println("linden node: " + TestOnlyBug.banner(bugs, testOnly.loseUnsyncedWrites)); // loudly
            server.plantTestOnlyBugs(bugs, testOnly.loseUnsyncedWrites);
        }
        try {
            server.secure(tls.security(p, id, clusterId));
        } catch (IllegalArgumentException e) {
            System.err.println("linden node: " + e.getMessage());
            return 2;
        }
        try {
            server.lockDataDir(); // before anything in the data dir is touched, the log file included
        } catch (IOException e) {
            System.err.println("linden node: cannot start: " + e.getMessage());
            return 2;
        }
        NodeLogging.setUp(dataDir.resolve("node.log"));
        Logger log = Logger.getLogger("linden.node");
        if (limits.quotaLowered != null) {
            log.warning(limits.quotaLowered);
        }
        configure(server);
        try {
            server.start();
        } catch (IOException e) {
            log.severe("event=start-refused node=" + id + " detail=\"" + e.getMessage() + "\"");
            System.err.println("linden node: cannot start: " + e.getMessage());
            server.close();
            return 2;
        }
        AutoCloseable times =
                TimesLog.start(testOnly.timesLogMillis, dataDir.resolve("times.hlog"), server.latencyTimes());
        Thread shutdown = new Thread(
                () -> {
                    log.info("node " + id + " shutting down (SIGTERM)");
                    closeQuietly(times);
                    server.close();
                },
                "shutdown");
        Runtime.getRuntime().addShutdownHook(shutdown);
        if (exitWithParent != null) {
            ParentWatch.start(
                    exitWithParent,
                    () -> log.info("node " + id + " exiting: its harness (pid " + exitWithParent + ") is gone"));
        }
        Throwable fatal = server.awaitFatal();
        // A peer refused this data dir's incarnation: like a refused data dir at start, exit 2 with the reason.
        int code = fatal instanceof NodeIdentity.RefusedException
                ? 2
                : storageFailure(fatal) ? EXIT_STORAGE_FAILED : EXIT_FATAL;
        log.severe("node " + id + " stopping after a fatal error (exit " + code + "): " + fatal);
        Runtime.getRuntime().halt(code);
        return code;
    }

    /** The server's settings beyond its options: lost log accepted, peer port bounds, the event stream. */
    private void configure(KvNodeServer server) {
        if (acceptLostLog) {
            server.acceptLostLog();
        }
        server.limitPeerPort(peerLimits);
        server.recordEvents(!"off".equals(events));
    }

    /** Exit code after a stage failed (a bug or an invariant violated). */
    public static final int EXIT_FATAL = 70;
    /** Exit code after a write could not be made durable (a full or failing disk): the data dir is intact. */
    public static final int EXIT_STORAGE_FAILED = 74;

    /**
     * Whether a fatal error came from storage: the node's {@link StorageFailedException}, or an I/O failure
     * anywhere in its chain of causes (a stage that failed on the disk).
     */
    static boolean storageFailure(Throwable fatal) {
        for (Throwable t = fatal; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof StorageFailedException || t instanceof IOException || t instanceof UncheckedIOException) {
                return true;
            }
        }
        return false;
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            System.err.println("linden node: " + e); // a bench's times log, nothing the node needs
        }
    }

    /** Flags first, then the properties file; throws IllegalArgumentException saying what is wrong. */
    KvNodeServer.Options options(Properties p) {
        id = id != null ? id : NodeProperties.intProp(p, "id");
        peers = peers != null ? peers : p.getProperty("peers");
        clientPort = clientPort != null ? clientPort : NodeProperties.intProp(p, "client-port");
        dataDir = dataDir != null
                ? dataDir
                : (p.getProperty("data-dir") == null ? null : Path.of(p.getProperty("data-dir")));
        fsync = p.getProperty("fsync", fsync);
        snapshotEvery = NodeProperties.orNull(
                snapshotEvery,
                NodeProperties.longProp(p, "snapshot-count"),
                NodeProperties.longProp(p, "snapshot-every"));
        clusterId = clusterId != null ? clusterId : p.getProperty("cluster-id");
        initialClusterState =
                initialClusterState != null ? initialClusterState : p.getProperty("initial-cluster-state", "new");
        if (id == null || peers == null || clientPort == null || dataDir == null) {
            throw new IllegalArgumentException(
                    "--id, --peers, --client-port and --data-dir are required (or --config)");
        }
        if (snapshotEvery != null && snapshotEvery < 1) {
            throw new IllegalArgumentException("--snapshot-count must be >= 1");
        }
        bugs = testOnly.planted(p);
        NodeConfig nodeConfig = TestOnlyBug.plant(bugs, nodeConfigFrom(p));
        Map<Integer, InetSocketAddress> peerMap = KvClient.parseEndpoints(peers);
        if (!peerMap.containsKey(id)) {
            throw new IllegalArgumentException("--peers must include this node's id " + id);
        }
        KvLimits kvLimits = limits.kvLimits(p);
        ClientPortLimits portLimits = limits.clientPortLimits(p);
        peerLimits = limits.peerPortLimits(p);
        return new KvNodeServer.Options(
                id,
                peerMap,
                new InetSocketAddress(clientHost, clientPort),
                dataDir,
                !"off".equals(fsync),
                nodeConfig,
                clusterId,
                NodeIdentity.InitialClusterState.parse(initialClusterState),
                kvLimits,
                portLimits,
                initialVoters == null ? List.of() : initialVoters);
    }

    /** The node's Raft and session tunables: timeouts, snapshots, session expiry and the read mode. */
    private NodeConfig nodeConfigFrom(Properties p) {
        long election = NodeProperties.orDefault(
                electionTimeoutMillis,
                NodeProperties.longProp(p, "election-timeout-ms"),
                DEFAULT_ELECTION_TIMEOUT_MILLIS);
        NodeConfig nodeConfig = nodeConfig(
                snapshotEvery,
                election,
                NodeProperties.orDefault(
                        heartbeatMillis, NodeProperties.longProp(p, "heartbeat-ms"), DEFAULT_HEARTBEAT_MILLIS));
        long ttl = NodeProperties.orDefault(
                sessionTtlMillis, NodeProperties.longProp(p, "session-ttl-ms"), NodeConfig.DEFAULT_SESSION_TTL_MILLIS);
        if (ttl < 1_000) {
            throw new IllegalArgumentException("--session-ttl-ms must be >= 1000");
        }
        nodeConfig = nodeConfig.withSessionTtlMillis(ttl);
        Long catchup = NodeProperties.orNull(
                snapshotCatchupEntries, NodeProperties.longProp(p, "snapshot-catchup-entries"), null);
        if (catchup != null) {
            if (catchup < 0 || catchup > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("--snapshot-catchup-entries must be >= 0");
            }
            RaftConfig raft = nodeConfig.raft();
            nodeConfig = nodeConfig.withRaft(raft.withSnapshots(raft.maxSnapshotChunkBytes(), (int) (long) catchup));
        }
        String mode = readMode != null ? readMode : p.getProperty("read-mode", "read-index");
        if (!mode.equals("read-index") && !mode.equals("lease")) {
            throw new IllegalArgumentException("--read-mode is read-index or lease");
        }
        if (mode.equals("lease")) {
            long tick = nodeConfig.tickMillis();
            long drift = NodeProperties.orDefault(
                    leaseDriftBoundMillis, NodeProperties.longProp(p, "lease-drift-bound-ms"), election * 3 / 10);
            int driftTicks = (int) Math.max(1, (drift + tick - 1) / tick); // rounded up: never shorter a bound
            if (driftTicks >= nodeConfig.raft().electionTimeoutTicks() - 1) {
                throw new IllegalArgumentException(
                        "--lease-drift-bound-ms must be below the election timeout less " + "one tick");
            }
            nodeConfig = nodeConfig.withRaft(nodeConfig.raft().toBuilder()
                    .leaseReads(true)
                    .leaseDriftBoundTicks(driftTicks)
                    .build());
        }
        return nodeConfig;
    }
}
