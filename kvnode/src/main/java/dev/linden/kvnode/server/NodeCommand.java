package dev.linden.kvnode.server;

import dev.linden.kvnode.client.KvClient;
import dev.linden.kvnode.net.ClientPortLimits;
import dev.linden.kvnode.net.PeerPortLimits;
import dev.linden.kvnode.node.NodeConfig;
import dev.linden.kvnode.node.StorageFailedException;
import dev.linden.kvnode.service.KvLimits;
import dev.linden.kvnode.tls.NodeSecurity;
import dev.linden.kvnode.tls.TlsFiles;
import dev.linden.kvnode.wal.NodeIdentity;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.logging.ConsoleHandler;
import java.util.logging.FileHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
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

    @Option(
            names = "--test-only-unsafe-local-reads",
            hidden = true,
            description = "a deliberately broken node for tests of the harness: reads without ReadIndex")
    boolean unsafeLocalReads;

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
            names = "--snapshot-every",
            description = "snapshot the state and compact the log after this many " + "entries (default 500000)")
    Long snapshotEvery;

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
                    + "drift apart in one election timeout (default 30% of it)")
    Long leaseDriftBoundMillis;

    @Option(names = "--max-key-bytes", description = "longest key accepted (default and most 1024)")
    Integer maxKeyBytes;

    @Option(names = "--max-value-bytes", description = "longest value accepted (default and most 1048576)")
    Integer maxValueBytes;

    @Option(
            names = "--quota-bytes",
            description = "bytes of keys and values the cluster may hold; at the quota "
                    + "writes get 'no space', reads and deletes go on (default 268435456, most 805306368)")
    Long quotaBytes;

    @Option(
            names = "--max-client-connections",
            description = "client connections at once (default 1024, and " + "below the file handle limit)")
    Integer maxClientConnections;

    @Option(
            names = "--client-idle-timeout-ms",
            description = "an idle client connection is closed after this " + "(default 300000)")
    Long clientIdleTimeoutMillis;

    @Option(
            names = "--request-read-timeout-ms",
            description = "a request must arrive whole within this of its "
                    + "first byte, or the connection is closed (default 10000)")
    Long requestReadTimeoutMillis;

    @Option(
            names = "--insecure",
            description = "no TLS on either port: anyone who can reach the peer port is believed "
                    + "to be the node its hello names (the node logs this choice); without it the node needs "
                    + "certificates")
    boolean insecure;

    @Option(
            names = "--tls-dir",
            description = "a directory written by `linden certs`: mutual TLS on the peer port with "
                    + "node-<id>.crt/.key and ca.crt, and TLS with client certificates on the client port")
    Path tlsDir;

    @Option(names = "--peer-trusted-ca-file", description = "CA that signs every node's peer certificate (etcd's name)")
    Path peerTrustedCaFile;

    @Option(
            names = "--peer-cert-file",
            description =
                    "this node's certificate for the peer port (CN=node-<id>, " + "O=<cluster id>, OU=linden-node)")
    Path peerCertFile;

    @Option(names = "--peer-key-file", description = "the key of --peer-cert-file (PKCS#8 PEM)")
    Path peerKeyFile;

    @Option(names = "--trusted-ca-file", description = "client port: CA that signs client certificates")
    Path trustedCaFile;

    @Option(names = "--cert-file", description = "client port: this node's certificate (TLS for clients)")
    Path certFile;

    @Option(names = "--key-file", description = "client port: the key of --cert-file")
    Path keyFile;

    @Option(names = "--client-cert-auth", description = "client port: require a client certificate of this cluster")
    Boolean clientCertAuth;

    @Option(
            names = "--client-token-file",
            description = "client port: clients must present the token in this file "
                    + "(16 to 256 characters) instead of a client certificate; needs TLS on the client port")
    Path clientTokenFile;

    @Option(
            names = "--peer-hello-timeout-ms",
            description = "a peer connection whose Hello is not accepted within " + "this is closed (default 5000)")
    Long peerHelloTimeoutMillis;

    @Option(
            names = "--max-pending-peer-connections",
            description = "peer connections at once not yet past their "
                    + "Hello; more are closed at accept (default 32; 128 peer connections in all)")
    Integer maxPendingPeerConnections;

    @Option(
            names = "--config",
            description = "properties file with any of the options above, named without the "
                    + "leading dashes (id, peers, client-port, data-dir, cluster-id, quota-bytes, ...); flags win")
    Path config;

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
        try {
            server.secure(security(p));
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
        setUpLogging(dataDir.resolve("node.log"));
        Logger log = Logger.getLogger("linden.node");
        if (quotaLowered != null) {
            log.warning(quotaLowered);
        }
        if (acceptLostLog) {
            server.acceptLostLog();
        }
        server.limitPeerPort(peerLimits);
        try {
            server.start();
        } catch (IOException e) {
            log.severe("event=start-refused node=" + id + " detail=\"" + e.getMessage() + "\"");
            System.err.println("linden node: cannot start: " + e.getMessage());
            server.close();
            return 2;
        }
        Thread shutdown = new Thread(
                () -> {
                    log.info("node " + id + " shutting down (SIGTERM)");
                    server.close();
                },
                "shutdown");
        Runtime.getRuntime().addShutdownHook(shutdown);
        if (exitWithParent != null) {
            // Started by a test harness: if the harness dies (even by SIGKILL, which runs no hook of its),
            // this node must not outlive it.
            Thread watch = new Thread(
                    () -> {
                        while (parentAlive(exitWithParent)) {
                            try {
                                Thread.sleep(1_000);
                            } catch (InterruptedException e) {
                                return;
                            }
                        }
                        log.info("node " + id + " exiting: its harness (pid " + exitWithParent + ") is gone");
                        System.exit(0);
                    },
                    "parent-watch");
            watch.setDaemon(true);
            watch.start();
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

    /**
     * Whether the harness process lives. On Linux by stat of /proc/PID, which needs no file handle: a node
     * out of handles (a connection flood) once took "cannot look" for "gone" and exited with its cluster.
     */
    static boolean parentAlive(long pid) {
        Path proc = Path.of("/proc");
        if (Files.isDirectory(proc.resolve("self"))) {
            return Files.exists(proc.resolve(String.valueOf(pid)));
        }
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
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

    /** Flags first, then the properties file; throws IllegalArgumentException saying what is wrong. */
    private KvNodeServer.Options options(Properties p) {
        id = id != null ? id : intProp(p, "id");
        peers = peers != null ? peers : p.getProperty("peers");
        clientPort = clientPort != null ? clientPort : intProp(p, "client-port");
        dataDir = dataDir != null
                ? dataDir
                : (p.getProperty("data-dir") == null ? null : Path.of(p.getProperty("data-dir")));
        fsync = p.getProperty("fsync", fsync);
        snapshotEvery = snapshotEvery != null ? snapshotEvery : longProp(p, "snapshot-every");
        clusterId = clusterId != null ? clusterId : p.getProperty("cluster-id");
        initialClusterState =
                initialClusterState != null ? initialClusterState : p.getProperty("initial-cluster-state", "new");
        if (id == null || peers == null || clientPort == null || dataDir == null) {
            throw new IllegalArgumentException(
                    "--id, --peers, --client-port and --data-dir are required (or --config)");
        }
        if (snapshotEvery != null && snapshotEvery < 1) {
            throw new IllegalArgumentException("--snapshot-every must be >= 1");
        }
        NodeConfig nodeConfig = nodeConfigFrom(p);
        Map<Integer, InetSocketAddress> peerMap = KvClient.parseEndpoints(peers);
        if (!peerMap.containsKey(id)) {
            throw new IllegalArgumentException("--peers must include this node's id " + id);
        }
        KvLimits kvLimits = kvLimits(p);
        ClientPortLimits portLimits = clientPortLimits(p);
        peerLimits = peerPortLimits(p);
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
                unsafeLocalReads,
                initialVoters == null ? List.of() : initialVoters);
    }

    /** The node's Raft and session tunables: timeouts, snapshots, session expiry and the read mode. */
    private NodeConfig nodeConfigFrom(Properties p) {
        long election =
                orDefault(electionTimeoutMillis, longProp(p, "election-timeout-ms"), DEFAULT_ELECTION_TIMEOUT_MILLIS);
        NodeConfig nodeConfig = nodeConfig(
                snapshotEvery,
                election,
                orDefault(heartbeatMillis, longProp(p, "heartbeat-ms"), DEFAULT_HEARTBEAT_MILLIS));
        long ttl = orDefault(sessionTtlMillis, longProp(p, "session-ttl-ms"), NodeConfig.DEFAULT_SESSION_TTL_MILLIS);
        if (ttl < 1_000) {
            throw new IllegalArgumentException("--session-ttl-ms must be >= 1000");
        }
        nodeConfig = nodeConfig.withSessionTtlMillis(ttl);
        String mode = readMode != null ? readMode : p.getProperty("read-mode", "read-index");
        if (!mode.equals("read-index") && !mode.equals("lease")) {
            throw new IllegalArgumentException("--read-mode is read-index or lease");
        }
        if (mode.equals("lease")) {
            long tick = nodeConfig.tickMillis();
            long drift = orDefault(leaseDriftBoundMillis, longProp(p, "lease-drift-bound-ms"), election * 3 / 10);
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

    private KvLimits kvLimits(Properties p) {
        KvLimits kvDefaults = KvLimits.defaults();
        return new KvLimits(
                (int) orDefault(
                        maxKeyBytes == null ? null : (long) maxKeyBytes,
                        longProp(p, "max-key-bytes"),
                        kvDefaults.maxKeyBytes()),
                (int) orDefault(
                        maxValueBytes == null ? null : (long) maxValueBytes,
                        longProp(p, "max-value-bytes"),
                        kvDefaults.maxValueBytes()),
                quotaBytes(p, kvDefaults.quotaBytes()));
    }

    private ClientPortLimits clientPortLimits(Properties p) {
        ClientPortLimits portDefaults = ClientPortLimits.defaults();
        return portDefaults
                .withMaxConnections((int) orDefault(
                        maxClientConnections == null ? null : (long) maxClientConnections,
                        longProp(p, "max-client-connections"),
                        portDefaults.maxConnections()))
                .withTimeouts(
                        orDefault(
                                clientIdleTimeoutMillis,
                                longProp(p, "client-idle-timeout-ms"),
                                portDefaults.idleTimeoutMillis()),
                        orDefault(
                                requestReadTimeoutMillis,
                                longProp(p, "request-read-timeout-ms"),
                                portDefaults.requestReadTimeoutMillis()));
    }

    private PeerPortLimits peerPortLimits(Properties p) {
        PeerPortLimits peerDefaults = PeerPortLimits.defaults();
        return peerDefaults
                .withTimeouts(
                        orDefault(
                                peerHelloTimeoutMillis,
                                longProp(p, "peer-hello-timeout-ms"),
                                peerDefaults.helloTimeoutMillis()),
                        peerDefaults.frameReadTimeoutMillis())
                .withConnections(peerDefaults.maxPeerConnections(), (int) orDefault(
                        maxPendingPeerConnections == null ? null : (long) maxPendingPeerConnections,
                        longProp(p, "max-pending-peer-connections"),
                        peerDefaults.maxPendingPeerConnections()));
    }

    /**
     * The ports' security from the flags and the properties file: --insecure, --tls-dir, or etcd's file flags;
     * exactly one way must be chosen (a node never starts open to strangers by default).
     */
    private NodeSecurity security(Properties p) {
        boolean open = insecure || Boolean.parseBoolean(p.getProperty("insecure", "false"));
        Path dir = tlsDir != null ? tlsDir : pathProp(p, "tls-dir");
        Path peerCa = peerTrustedCaFile != null ? peerTrustedCaFile : pathProp(p, "peer-trusted-ca-file");
        Path peerCert = peerCertFile != null ? peerCertFile : pathProp(p, "peer-cert-file");
        Path peerKey = peerKeyFile != null ? peerKeyFile : pathProp(p, "peer-key-file");
        Path ca = trustedCaFile != null ? trustedCaFile : pathProp(p, "trusted-ca-file");
        Path cert = certFile != null ? certFile : pathProp(p, "cert-file");
        Path key = keyFile != null ? keyFile : pathProp(p, "key-file");
        boolean certAuth = clientCertAuth != null
                ? clientCertAuth
                : Boolean.parseBoolean(p.getProperty("client-cert-auth", "false"));
        boolean peerFiles = peerCa != null || peerCert != null || peerKey != null;
        int ways = (open ? 1 : 0) + (dir != null ? 1 : 0) + (peerFiles ? 1 : 0);
        if (ways == 0) {
            throw new IllegalArgumentException("no certificates: give --tls-dir DIR (made by `linden certs`), or "
                    + "--peer-trusted-ca-file, --peer-cert-file and --peer-key-file, or choose --insecure explicitly");
        }
        if (ways > 1) {
            throw new IllegalArgumentException("choose one of --insecure, --tls-dir and the --peer-*-file flags");
        }
        Path tokenFile = clientTokenFile != null ? clientTokenFile : pathProp(p, "client-token-file");
        String token = null;
        if (tokenFile != null) {
            try {
                token = Files.readString(tokenFile).strip();
            } catch (IOException e) {
                throw new IllegalArgumentException(
                        "cannot read --client-token-file " + tokenFile + ": " + e.getMessage());
            }
        }
        if (open) {
            if (token != null) {
                throw new IllegalArgumentException("a client token needs TLS on the client port: not with --insecure");
            }
            return NodeSecurity.insecure();
        }
        if (dir != null) {
            TlsFiles files = TlsFiles.forNode(dir, id);
            return token == null
                    ? NodeSecurity.mutualTls(clusterId, id, files, files, true)
                    : NodeSecurity.mutualTls(clusterId, id, files, files, false).withClientToken(token);
        }
        if (peerCa == null || peerCert == null || peerKey == null) {
            throw new IllegalArgumentException(
                    "--peer-trusted-ca-file, --peer-cert-file and --peer-key-file go together");
        }
        TlsFiles client;
        if (cert != null || key != null || ca != null) {
            if (cert == null || key == null || (certAuth && ca == null)) {
                throw new IllegalArgumentException(
                        "--cert-file and --key-file go together (and --client-cert-auth " + "needs --trusted-ca-file)");
            }
            if (!certAuth && token == null) {
                // Whoever reaches it could write, and change membership: the client port is never open by default.
                throw new IllegalArgumentException(
                        "the client port would accept anyone: add --client-cert-auth or " + "--client-token-file");
            }
            client = new TlsFiles(ca != null ? ca : peerCa, cert, key);
        } else {
            // No files of its own: the client port uses the node's, with client certificates of the same CA
            // (or the token).
            client = new TlsFiles(peerCa, peerCert, peerKey);
            certAuth = token == null;
        }
        NodeSecurity security =
                NodeSecurity.mutualTls(clusterId, id, new TlsFiles(peerCa, peerCert, peerKey), client, certAuth);
        return token == null ? security : security.withClientToken(token);
    }

    private static Path pathProp(Properties p, String name) {
        String v = p.getProperty(name);
        return v == null || v.isBlank() ? null : Path.of(v.trim());
    }

    /** Why the default quota was lowered (null: it was not), for the log once it is set up. */
    private String quotaLowered;

    /**
     * The quota: as given (the node refuses to start if its memory cannot hold it), or the default lowered to
     * what this JVM's memory split can hold.
     */
    private long quotaBytes(Properties p, long defaultBytes) {
        Long given = quotaBytes != null ? quotaBytes : longProp(p, "quota-bytes");
        if (given != null) {
            return given;
        }
        MemorySplit split = MemorySplit.ofThisJvm();
        if (split.maxQuotaBytes() >= defaultBytes) {
            return defaultBytes;
        }
        quotaLowered = "event=limit-lowered what=quota-bytes from=" + defaultBytes + " to=" + split.maxQuotaBytes()
                + " reason=memory (" + split.logLine() + "); give -Xmx or --quota-bytes to choose";
        return split.maxQuotaBytes();
    }

    private static long orDefault(Long flag, Long property, long fallback) {
        return flag != null ? flag : property != null ? property : fallback;
    }

    private static Long longProp(Properties p, String name) {
        String v = p.getProperty(name);
        try {
            return v == null ? null : Long.valueOf(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " in --config must be a number, not '" + v + "'");
        }
    }

    private static Integer intProp(Properties p, String name) {
        Long v = longProp(p, name);
        return v == null ? null : Math.toIntExact(v);
    }

    static void setUpLogging(Path file) throws IOException {
        Logger root = Logger.getLogger("");
        for (Handler h : root.getHandlers()) {
            root.removeHandler(h);
        }
        Formatter oneLine = new Formatter() {
            @Override
            public String format(LogRecord r) {
                String msg = Instant.ofEpochMilli(r.getMillis()) + " " + r.getLevel() + " "
                        + r.getLoggerName().replaceAll(".*\\.", "") + ": " + formatMessage(r) + "\n";
                if (r.getThrown() != null) {
                    StringWriter w = new StringWriter();
                    r.getThrown().printStackTrace(new PrintWriter(w));
                    msg += w;
                }
                return msg;
            }
        };
        ConsoleHandler console = new ConsoleHandler() {
            {
                setOutputStream(System.out);
            }
        };
        console.setFormatter(oneLine);
        // One generation: the file is exactly node.log (JUL appends ".0" to the name when it keeps several).
        FileHandler fileHandler = new FileHandler(file.toString(), 64 << 20, 1, true);
        fileHandler.setFormatter(oneLine);
        root.addHandler(console);
        root.addHandler(fileHandler);
        root.setLevel(Level.INFO);
        Logger.getLogger("io.netty").setLevel(Level.WARNING);
    }
}
