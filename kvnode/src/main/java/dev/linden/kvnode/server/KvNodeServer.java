package dev.linden.kvnode.server;

import static dev.linden.kvnode.server.ThreadStage.daemon;

import dev.linden.kvnode.kv.KvStateMachine;
import dev.linden.kvnode.net.ClientPortLimits;
import dev.linden.kvnode.net.ClientServer;
import dev.linden.kvnode.net.FileHandleReserve;
import dev.linden.kvnode.net.PeerPortLimits;
import dev.linden.kvnode.net.PeerTransport;
import dev.linden.kvnode.net.Wire;
import dev.linden.kvnode.node.NodeConfig;
import dev.linden.kvnode.node.NodeListener;
import dev.linden.kvnode.node.NodeStages;
import dev.linden.kvnode.node.RaftNode;
import dev.linden.kvnode.raft.Membership;
import dev.linden.kvnode.raft.RandomSource;
import dev.linden.kvnode.service.KvLimits;
import dev.linden.kvnode.service.KvService;
import dev.linden.kvnode.stats.LatencyTimes;
import dev.linden.kvnode.tls.NodeSecurity;
import dev.linden.kvnode.wal.LostLogAcceptance;
import dev.linden.kvnode.wal.NioVfs;
import dev.linden.kvnode.wal.NodeIdentity;
import dev.linden.kvnode.wal.PeerIncarnations;
import dev.linden.kvnode.wal.WalConfig;
import dev.linden.kvnode.wal.WalLogStore;
import io.netty.channel.nio.NioEventLoopGroup;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One kvnode process: the Raft node on its stages (raft, apply, WAL writer, fsync thread), the WAL on
 * real files, the peer transport and the client port.
 */
public final class KvNodeServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(KvNodeServer.class.getName());
    /** Inputs queued on the raft stage beyond which network input is refused (back-pressure). */
    public static final int MAX_QUEUED_INPUTS = 200_000;

    /**
     * @param peers        every node's peer address by id, this node's included
     * @param fsync        false only for benchmarks that want to see the cost of durability
     * @param initialVoters     the members a new cluster is bootstrapped with; empty: every node of {@code peers}
     *                          (peers may name more nodes, to be added later)
     */
    public record Options(
            int id,
            Map<Integer, InetSocketAddress> peers,
            InetSocketAddress clientAddress,
            Path dataDir,
            boolean fsync,
            NodeConfig nodeConfig,
            String clusterId,
            NodeIdentity.InitialClusterState initialState,
            KvLimits kvLimits,
            ClientPortLimits clientLimits,
            List<Integer> initialVoters) {
        public Options(
                int id,
                Map<Integer, InetSocketAddress> peers,
                InetSocketAddress clientAddress,
                Path dataDir,
                boolean fsync,
                NodeConfig nodeConfig,
                String clusterId,
                NodeIdentity.InitialClusterState initialState,
                KvLimits kvLimits,
                ClientPortLimits clientLimits) {
            this(
                    id,
                    peers,
                    clientAddress,
                    dataDir,
                    fsync,
                    nodeConfig,
                    clusterId,
                    initialState,
                    kvLimits,
                    clientLimits,
                    List.of());
        }

        /** A node of a new cluster named {@code local}, with default limits (benchmarks, tests). */
        public Options(
                int id,
                Map<Integer, InetSocketAddress> peers,
                InetSocketAddress clientAddress,
                Path dataDir,
                boolean fsync,
                NodeConfig nodeConfig) {
            this(
                    id,
                    peers,
                    clientAddress,
                    dataDir,
                    fsync,
                    nodeConfig,
                    "local",
                    NodeIdentity.InitialClusterState.NEW,
                    KvLimits.defaults(),
                    ClientPortLimits.defaults());
        }
    }

    private final Options options;
    private final ScheduledExecutorService timers;
    private final ThreadStage raftStage;
    private final ThreadStage applyStage;
    private final ThreadStage walStage;
    private final ThreadStage snapshotStage;
    private final ExecutorService fsyncThread;
    private final NioEventLoopGroup group = new NioEventLoopGroup(1);

    private final NioEventLoopGroup peerGroup = new NioEventLoopGroup(1); // replication never behind client reads
    private WalLogStore wal;
    private NioVfs vfs;
    private DataDirLock lock;
    private NodeIdentity identity;
    private RaftNode node;
    private PeerTransport transport;
    private ClientServer clientServer;
    private final CountDownLatch fatal = new CountDownLatch(1);
    private volatile Throwable fatalCause;

    public KvNodeServer(Options options) {
        this.options = options;
        this.timers = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "timers-" + options.id()));
        // Which stages share a thread is NodeStages' one description (the simulator binds the same).
        NodeStages.Bound<ThreadStage> stages = NodeStages.bind(
                stage -> new ThreadStage(stage.name().toLowerCase() + "-" + options.id(), timers, this::die));
        this.raftStage = stages.raft();
        this.applyStage = stages.apply();
        this.walStage = stages.wal();
        this.snapshotStage = stages.snapshot();
        this.fsyncThread = Executors.newSingleThreadExecutor(r -> daemon(r, "fsync-" + options.id()));
    }

    /** Takes the data dir's lock (idempotent): {@link #start()} does, or a caller writing there first. */
    public void lockDataDir() throws IOException {
        if (lock == null) {
            lock = DataDirLock.acquire(options.dataDir());
        }
    }

    /**
     * Locks the data dir, checks its identity, recovers the WAL and starts serving. Throws IOException with a
     * clear message if the data dir is in use, belongs elsewhere, is empty for an existing cluster, or its
     * WAL is corrupt; nothing in the data dir is changed before the lock and the identity check pass.
     */
    public void start() throws IOException, InterruptedException {
        if (security == null) {
            throw new IllegalStateException("no security chosen: give certificates or choose insecure explicitly");
        }
        lockDataDir();
        splitMemory();
        vfs = new NioVfs(
                options.dataDir().resolve("wal"), options.fsync() ? fsyncThread : Runnable::run, options.fsync());
        if (loseUnsyncedWrites || bugs.contains(TestOnlyBug.FSYNC_LIES)) {
            vfs.holdUnsyncedWrites(bugs.contains(TestOnlyBug.FSYNC_LIES));
            vfs.beforePowerCut(() -> Optional.ofNullable(eventWriter).ifPresent(EventStreamWriter::writeQueued));
        }
        identity = IdentityCheck.establish(vfs, options, security);
        EventLog events = new EventLog(options.id(), this::die);
        WalConfig walConfig = TestOnlyBug.walConfig(bugs, WalConfig.defaults());
        if (acceptLostLog) {
            LostLogAcceptance.accept(vfs, walConfig, events::storage);
        }
        wal = new WalLogStore(vfs, walStage, snapshotStage, walConfig);
        wal.setEventSink(events::storage);
        openPeerPort(vfs);
        KvStateMachine kv = TestOnlyBug.stateMachine(bugs, () -> new KvStateMachine(memory.valuesDirectBytes()));
        eventWriter = recordEvents ? EventStreamWriter.inDir(options.dataDir()) : null;
        startNode(kv, eventWriter == null ? events : eventWriter.listener(events, kv::digest));
        ClientPortLimits limits = ClientPortFit.fit(options.clientLimits(), fileHandles, memory);
        startClientPort(kv, limits);
        logStarted(limits);
    }

    private boolean recordEvents = true;
    private volatile EventStreamWriter eventWriter; // read by a power cut's last act (test-only)

    /** Whether {@link #start()} writes {@code events.jsonl} into the data dir (default on; off for A/B runs). */
    public void recordEvents(boolean on) {
        this.recordEvents = on;
    }

    private void die(Throwable t) {
        fatalCause = t;
        fatal.countDown();
    }

    /** Chooses the memory split and refuses a quota it cannot hold. */
    private void splitMemory() throws IOException {
        memory = MemorySplit.ofThisJvm();
        LOG.info(memory.logLine());
        String quotaRefusal = memory.quotaRefusal(options.kvLimits().quotaBytes());
        if (quotaRefusal != null) {
            throw new IOException(quotaRefusal);
        }
    }

    /** The peer transport, secured and bounded; a peer that refuses this node's incarnation stops it. */
    private void openPeerPort(NioVfs vfs) throws IOException {
        transport = new PeerTransport(
                options.id(),
                identity.clusterId(),
                options.peers(),
                peerGroup,
                msgs -> node.receiveAll(msgs),
                () -> raftStage.queued() > MAX_QUEUED_INPUTS,
                Wire.DEFAULT_MAX_FRAME_BYTES,
                8 << 20);
        transport.secure(security);
        transport.limitPort(peerLimits, fileHandles);
        transport.checkIncarnations(identity.incarnation(), PeerIncarnations.load(vfs), (peer, reason) -> {
            fatalCause = new NodeIdentity.RefusedException("refused by node " + peer + ": " + reason);
            fatal.countDown();
        });
    }

    /** The Raft node on its stages, the peer transport and the watch for isolation. */
    private void startNode(KvStateMachine kv, NodeListener events) throws IOException, InterruptedException {
        // Bootstrapped members with their peer addresses; none for a node that joined (it learns them from the log).
        TreeMap<Integer, String> bootstrap = new TreeMap<>();
        for (int m : identity.members()) {
            InetSocketAddress a = options.peers().get(m);
            bootstrap.put(m, a == null ? "" : a.getHostString() + ":" + a.getPort());
        }
        node = new RaftNode(
                options.id(),
                Membership.ofVoters(bootstrap),
                options.nodeConfig(),
                RandomSource.seeded(System.nanoTime() ^ ((long) options.id() << 32)),
                raftStage,
                applyStage,
                wal,
                transport,
                kv,
                System::nanoTime);
        node.setListener(events);
        node.start();
        transport.start();
        new IsolationWatch(options.id(), options.peers(), node, transport::linkProblem, transport.receivedMessages::get)
                .start(
                        timers,
                        options.nodeConfig().raft().electionTimeoutTicks()
                                * options.nodeConfig().tickMillis());
    }

    /** The KV service with its session expiry, and the client port in front of it. */
    private void startClientPort(KvStateMachine kv, ClientPortLimits limits) throws InterruptedException {
        KvService service = new KvService(
                node, bugs.contains(TestOnlyBug.UNSAFE_READS), options.kvLimits(), kv::storedBytes, kv::answerBytes);
        NodeConfig nc = options.nodeConfig();
        // Sessions by wall-clock time (successive leaders' expiry entries compare times); leases by the monotonic one.
        service.startExpiries(raftStage, System::currentTimeMillis, System::nanoTime, kv::leases, nc);
        clientServer = new ClientServer(
                options.clientAddress(),
                group,
                service,
                node,
                () -> raftStage.queued() > MAX_QUEUED_INPUTS,
                limits,
                fileHandles);
        clientServer.secure(security);
        clientServer.start();
    }

    private void logStarted(ClientPortLimits limits) {
        if (security.peersAuthenticated()) {
            LOG.info("event=security " + security.describe());
        } else {
            LOG.warning("event=insecure detail=\"" + security.describe() + "\"");
        }
        if (!bugs.isEmpty() || loseUnsyncedWrites) {
            LOG.log(bugs.isEmpty() ? Level.WARNING : Level.SEVERE, TestOnlyBug.banner(bugs, loseUnsyncedWrites));
        }
        NodeConfig nc = options.nodeConfig();
        LOG.info("node " + options.id() + " of cluster " + identity.clusterId() + " serving clients on "
                + options.clientAddress() + ", peers on " + options.peers().get(options.id()) + ", data in "
                + options.dataDir() + (options.fsync() ? "" : " (fsync OFF)") + "; election timeout "
                + nc.raft().electionTimeoutTicks() * nc.tickMillis() + " ms, heartbeat "
                + nc.raft().heartbeatIntervalTicks() * nc.tickMillis() + " ms; quota "
                + options.kvLimits().quotaBytes()
                + " bytes; max client connections " + limits.maxConnections() + "; peer port: " + peerLimits
                + "; file handles kept for storage " + fileHandles.reserveFileHandles());
    }

    private boolean acceptLostLog;
    private NodeSecurity security;
    private Set<TestOnlyBug> bugs = Set.of(); // test-only, as the next: empty and false in a real deployment
    private boolean loseUnsyncedWrites;

    /**
     * Test-only: planted bugs outside the core ({@link TestOnlyBug#plant} has those); {@code loseUnsyncedWrites}:
     * writes stay in the process until synced, so a kill loses them ({@link NioVfs#holdUnsyncedWrites}).
     */
    public void plantTestOnlyBugs(Set<TestOnlyBug> planted, boolean loseUnsyncedWrites) {
        this.bugs = Set.copyOf(planted);
        this.loseUnsyncedWrites = loseUnsyncedWrites;
    }

    /**
     * How the ports authenticate (mutual TLS for peers, TLS for clients), or {@link NodeSecurity#insecure()};
     * required before {@link #start()}: a node never starts open to strangers by default.
     */
    public void secure(NodeSecurity security) {
        this.security = security;
    }

    private MemorySplit memory;
    private PeerPortLimits peerLimits = PeerPortLimits.defaults();
    private FileHandleReserve fileHandles = FileHandleReserve.ofProcess(FileHandleReserve.DEFAULT_RESERVE_FILE_HANDLES);

    /** Bounds on the peer port before and after a Hello (default {@link PeerPortLimits#defaults()}). */
    public void limitPeerPort(PeerPortLimits limits) {
        this.peerLimits = limits;
    }

    /** File handles both ports leave free for storage (tests give one with a fake limit). */
    public void reserveFileHandles(FileHandleReserve reserve) {
        this.fileHandles = reserve;
    }

    /** The memory split chosen at start. */
    public MemorySplit memorySplit() {
        return memory;
    }

    /**
     * At the next {@link #start()}, clear a record of lost log ({@link LostLogAcceptance#accept}): the operator's
     * choice when no leader of a later term can repair this node.
     */
    public void acceptLostLog() {
        this.acceptLostLog = true;
    }

    /** This node's identity, once started. */
    public NodeIdentity identity() {
        return identity;
    }

    /** The client port's counters (connections, in-flight bytes), once started. */
    public ClientServer clientServer() {
        return clientServer;
    }

    /** Blocks until a stage dies or storage fails; returns the cause. */
    public Throwable awaitFatal() throws InterruptedException {
        fatal.await();
        return fatalCause;
    }

    public RaftNode node() {
        return node;
    }

    /** Its recorders of where a write's time goes: stages' queues and tasks, fsyncs, client requests' times. */
    public List<LatencyTimes> latencyTimes() {
        return ShutdownLines.latencyTimes(node, raftStage, applyStage, vfs, clientServer);
    }

    @Override
    public void close() {
        if (transport != null && node != null) {
            ShutdownLines.print(options.id(), transport, node, raftStage, applyStage, vfs, clientServer);
        }
        Optional.ofNullable(clientServer).ifPresent(ClientServer::close);
        Optional.ofNullable(transport).ifPresent(PeerTransport::close);
        Optional.ofNullable(node).ifPresent(RaftNode::stop);
        Optional.ofNullable(wal).ifPresent(WalLogStore::close);
        ThreadStage.sleepQuietly(50); // let the stop and close tasks run
        raftStage.close();
        applyStage.close();
        Optional.ofNullable(eventWriter).ifPresent(EventStreamWriter::close);
        snapshotStage.close();
        fsyncThread.shutdown();
        timers.shutdownNow();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        peerGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        if (lock != null) {
            lock.close();
        }
    }
}
