package dev.linden.realenv;

import dev.linden.checker.history.OpType;
import dev.linden.harness.Cluster;
import dev.linden.harness.Scheduler;
import dev.linden.kvnode.client.KvClient;
import dev.linden.kvnode.events.EventFiles;
import dev.linden.kvnode.events.EventMonitor;
import dev.linden.kvnode.net.Wire;
import dev.linden.kvnode.tls.CertificateAuthority;
import dev.linden.kvnode.tls.ClientSecurity;
import dev.linden.kvnode.tls.NodeSecurity;
import dev.linden.nemesis.Nemesis;
import dev.linden.workloads.Client;
import dev.linden.workloads.HistoryOp;
import dev.linden.workloads.Workload;
import dev.linden.workloads.check.CheckOutcome;
import dev.linden.workloads.check.Validity;
import io.netty.channel.nio.NioEventLoopGroup;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/**
 * The harness's {@link Cluster} on real node processes ({@code --env local}): N node JVMs on loopback,
 * each with its own data dir, every peer link through a {@link LinkProxy} the harness owns, clients
 * through the real {@link KvClient}, faults as signals (kill -9, SIGSTOP/SIGCONT), proxy rules
 * (partitions in one direction or both, loss, duplication, reordering, clogging) and files (a bit
 * flipped in a stopped node's WAL, a wiped data dir). Every process it started is killed on
 * {@link #close()}, and by a shutdown hook on Ctrl-C; its temporary directory is deleted.
 */
public final class LocalTestCluster implements Cluster {
    private static final long START_TIMEOUT_MILLIS = 60_000;

    /** The data disks under disk faults: mounts, and which are or were full. */
    final LocalDisks disks = new LocalDisks();

    private final long seed;
    final int n;
    final LocalEnvOptions options;
    final SplittableRandom random;
    final WallScheduler scheduler = new WallScheduler();
    /** The nodes' ports, link proxies, Toxiproxy proxies or namespaces. */
    final LocalLinks links;

    private final Path root;
    /** The nodes' clocks, under libfaketime when clock faults are asked for. */
    final FakeClocks clocks;

    private final String clusterId;

    final Map<Integer, Process> processes = new ConcurrentHashMap<>();
    final Set<Integer> killedByNemesis = ConcurrentHashMap.newKeySet();
    /** The pids of every process the nemesis killed (a few hundred in a run at most). */
    final Set<Long> killedProcesses = ConcurrentHashMap.newKeySet();

    final Set<Integer> paused = ConcurrentHashMap.newKeySet();
    /** Nodes whose data was corrupted or wiped by the nemesis: a refusal to start is then expected. */
    final Set<Integer> damaged = ConcurrentHashMap.newKeySet();
    /** WAL records the nemesis cut or deleted: each such node must report lost log when it starts again. */
    final List<NodeEventCheck.LogLoss> logLosses = Collections.synchronizedList(new ArrayList<>());

    final Set<Integer> refused = ConcurrentHashMap.newKeySet();
    final List<String> unexpectedExits = Collections.synchronizedList(new ArrayList<>());
    /** What a fault saw the cluster do that it must never do (an ordinary client's admin request carried out). */
    private final List<String> violations = Collections.synchronizedList(new ArrayList<>());

    private final List<KvClient> clients = new ArrayList<>();
    private final NioEventLoopGroup group = new NioEventLoopGroup(2);
    private KvClient statusClient;
    private boolean bootstrapped;
    private long started;
    private final Thread hook;
    volatile boolean closing;
    /** What a node's exit means: the nemesis's doing, a refusal it had to make, or a failure of the run. */
    private final LocalExits exits = new LocalExits(this);
    /** The nodes' statuses, as the harness's own client reads them. */
    private final LocalStatus status = new LocalStatus(this);

    public LocalTestCluster(long seed, int nodes, LocalEnvOptions options) {
        this.seed = seed;
        this.n = nodes;
        this.options = options;
        this.random = new SplittableRandom(seed);
        this.links = new LocalLinks(random);
        this.clusterId = "local-" + seed + "-" + ProcessHandle.current().pid();
        try {
            this.root = Files.createTempDirectory("linden-local-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // libfaketime is preloaded from the host's filesystem: not into a container's
        this.clocks = new FakeClocks(root, options.clockFaults() && !options.containers());
        this.membership = new LocalMembership(this, nodes, options.membershipFaults() ? LocalMembership.SPARES : 0);
        this.hook = new Thread(
                () -> {
                    closeHostile();
                    killAll();
                    disks.unmountAll();
                    links.closeNamespaces();
                    deleteRoot();
                },
                "linden-local-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    public static Cluster.Factory factory(LocalEnvOptions options) {
        return (seed, nodes) -> new LocalTestCluster(seed, nodes, options);
    }

    @Override
    public String env() {
        return options.containers() ? "docker" : "local";
    }

    /** With --env docker: the node image (built here if missing). */
    private String image;

    @Override
    public List<Integer> nodes() {
        return membership.members();
    }

    /** Members now, and the spare ids a membership nemesis may add. */
    final LocalMembership membership;

    KvClient statusClient() {
        return statusClient;
    }

    /** A node removed from the configuration: killed, and never started again. */
    void killForGood(int id) {
        Process p = processes.get(id);
        if (p != null && p.isAlive()) {
            resume(p);
            p.destroyForcibly();
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public Scheduler scheduler() {
        return scheduler;
    }

    // ------------------------------------------------------------------ processes

    Path dataDir(int id) {
        return root.resolve("n" + id);
    }

    @Override
    public void start() {
        try {
            if (options.net().equals("netns")) {
                links.createNamespaces(membership.allIds().size());
            }
            if (options.diskFaults()) {
                disks.mount(membership.allIds(), this::dataDir);
            }
            links.open(membership.allIds(), group, this::nodeSecurity);
            if (options.containers()) {
                image = Containers.prepare(); // the engine reachable, leftovers of dead runs gone, the image built
            }
            if (options.toxiproxy() != null) {
                links.openToxiproxy(options.toxiproxy(), "linden-" + clusterId + "-");
            }
            for (int id : nodes()) {
                launch(id);
            }
            Map<Integer, InetSocketAddress> endpoints = clientEndpoints();
            // The harness's own client also changes membership: the operator's certificate.
            statusClient = new KvClient(
                    endpoints,
                    new KvClient.Options(1_000, 2_000, 64),
                    group,
                    authority().adminSecurity());
            long deadline = System.currentTimeMillis() + START_TIMEOUT_MILLIS;
            while (leader(true) < 0) {
                if (System.currentTimeMillis() > deadline || !unexpectedExits.isEmpty()) {
                    throw new IllegalStateException("the local cluster did not elect a leader within "
                            + START_TIMEOUT_MILLIS + " ms: " + describe() + " " + unexpectedExits);
                }
                Thread.sleep(100);
            }
            bootstrapped = true; // restarts from now on say --initial-cluster-state existing
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting the local cluster", e);
        }
    }

    /** The cluster's CA (made at the first call, in the run's directory): certificates for nodes and clients. */
    private CertificateAuthority authority;

    private synchronized CertificateAuthority authority() throws IOException {
        if (authority == null) {
            authority = CertificateAuthority.openOrCreate(root.resolve("certs"), clusterId, Duration.ofDays(2));
        }
        return authority;
    }

    /** Node {@code id}'s credentials (the link proxies end TLS sessions as it). */
    NodeSecurity nodeSecurity(int id) {
        try {
            return authority().nodeSecurity(id);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The clients' credentials: a client certificate of the cluster's CA. */
    ClientSecurity clientSecurity() {
        try {
            return authority().clientSecurity();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The cluster id every node was started with (and says in every Hello). */
    String clusterId() {
        return clusterId;
    }

    /** Node {@code id}'s own peer port (not a link proxy's), on loopback. */
    int peerPort(int id) {
        return links.peerPort(id);
    }

    InetSocketAddress clientAddress(int id) {
        return links.clientAddress(id);
    }

    /** The harness's attacks of the hostile faults, once a nemesis made them; closed with the cluster. */
    volatile HostileAttacks hostile;

    Map<Integer, InetSocketAddress> clientEndpoints() {
        return links.clientEndpoints();
    }

    void launch(int id) throws IOException {
        launch(id, false);
    }

    /**
     * Starts node {@code id} on its data dir: with {@code --initial-cluster-state new} until the cluster is
     * bootstrapped or when {@code asNew} (the disk-damage fault {@code restart-as-new}: the bootstrap
     * command run again on an emptied dir), {@code join} for a node being added, else {@code existing}.
     */
    void launch(int id, boolean asNew) throws IOException {
        synchronized (disks.lock) {
            if (!disks.full.contains(id)) {
                disks.fullSinceLaunch.remove(id);
            }
        }
        Path dir = dataDir(id);
        Files.createDirectories(dir);
        String peers = links.peersFor(id, membership.allIds());
        NodeLaunch launch = new NodeLaunch(id, dir)
                .jvm(NodeLaunch.memoryFlags(options.heap(), 64L << 20, 128L << 20))
                .jvm(List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"))
                .arg("--peers", peers)
                .arg("--client-port", links.clientPort(id))
                .arg("--client-host", links.host(id))
                .arg("--cluster-id", clusterId)
                .arg("--initial-cluster-state", initialState(id, asNew))
                .arg("--initial-voters", membership.initialVoters())
                .arg("--quota-bytes", 64L << 20)
                .arg("--exit-with-parent", ProcessHandle.current().pid())
                .arg("--tls-dir", authority().issuedNodeDir(id));
        launch.args(options.node().nodeArgs()).args(options.bugArgs());
        List<String> cmd = links.netns != null ? links.netns.inNamespace(id, launch.command()) : launch.command();
        Process p;
        if (options.containers()) {
            p = Containers.start(image, clusterId + "-n" + id + "-" + (started + 1), cmd, dir);
            containers.add((ContainerProcess) p); // (Containers.start makes one)
        } else {
            p = launch.start(
                    cmd,
                    pb -> clocks.configure(id, pb)); // netns: ip execs java in the namespace, the pid stays the node's
        }
        started++;
        processes.put(id, p);
        p.onExit().thenAccept(done -> exits.exited(id, done));
    }

    private String initialState(int id, boolean asNew) {
        return membership.joining(id) ? "join" : bootstrapped && !asNew ? "existing" : "new";
    }

    String lastLines(int id, int count) {
        try {
            List<String> all = Files.readAllLines(dataDir(id).resolve("stdout.log"));
            return String.join(" | ", all.subList(Math.max(0, all.size() - count), all.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    boolean alive(int id) {
        Process p = processes.get(id);
        return p != null && p.isAlive();
    }

    /** Kills a node with SIGKILL and waits for it to be gone; returns its pid, or -1 if it was not running. */
    long kill(int id) {
        Process p = processes.get(id);
        if (p == null || !p.isAlive()) {
            return -1;
        }
        killedByNemesis.add(id);
        killedProcesses.add(p.pid());
        p.destroyForcibly();
        try {
            p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        paused.remove(id);
        return p.pid();
    }

    /** Stops a node where it is: SIGSTOP, or the engine's freezer for a container. */
    void pause(Process p) {
        NodeSignals.pause(p);
    }

    /** Lets a paused node run again: SIGCONT, or the engine's thaw for a container. */
    void resume(Process p) {
        NodeSignals.resume(p);
    }

    private void killAll() {
        closing = true;
        NodeSignals.killAll(processes.values(), containers);
    }

    /** With --env docker: every container started, for {@link #killAll}. */
    private final List<ContainerProcess> containers = new CopyOnWriteArrayList<>();

    /** Statuses of the nodes that answer (cached for a while unless {@code fresh}). */
    Map<Integer, Wire.StatusResponse> status(boolean fresh) {
        return status.status(fresh);
    }

    /** Asks {@code leader} to hand over to {@code target}; waits at most 5 s for its answer. */
    Wire.TransferResponse transferLeadership(int leader, int target) throws Exception {
        return statusClient.transferLeadership(leader, target, 5_000).get(6, TimeUnit.SECONDS);
    }

    /** A fault saw the cluster do what it must never do: the cluster check fails with it. */
    void violation(String what) {
        violations.add(what);
    }

    /** The leader a majority agrees on, or -1. */
    int leader(boolean fresh) {
        return status.leader(fresh);
    }

    // ------------------------------------------------------------------ Cluster

    @Override
    public Client client(int thread, Workload workload) {
        Map<Integer, InetSocketAddress> endpoints = clientEndpoints();
        KvClient kv = new KvClient(endpoints, new KvClient.Options(1_000, 5_000, 4), group, clientSecurity());
        clients.add(kv);
        this.workload = workload;
        return new LocalClient(kv, workload, scheduler, options.kvApi());
    }

    @Override
    public Nemesis nemesis() {
        return new LocalNemesis(this);
    }

    @Override
    public boolean converged() {
        return status.converged();
    }

    @Override
    public String describe() {
        return status.describe();
    }

    /** The run's workload (the disk audit maps its writes to commands), once a client was made. */
    private volatile Workload workload;
    /** The audit of the stopped nodes' disks, once {@link #invariants} ran it. */
    private LocalDiskAudit diskAudit;

    @Override
    public List<CheckOutcome> invariants(List<HistoryOp> history) {
        if (workload == null) {
            return List.of(processCheck(history));
        }
        // The audit stops the nodes first: their event streams are then complete when the monitors read them.
        diskAudit = LocalDiskAudit.stopAndAudit(this, history, workload);
        return List.of(processCheck(history), diskAudit.outcome());
    }

    @Override
    public Map<Integer, OpType> resolveInfo(List<HistoryOp> history) {
        return diskAudit == null ? null : diskAudit.resolveInfo(history);
    }

    /** What the audit needs of the statuses: the highest commit index any node announced. */
    long maxAnnouncedCommit() {
        return status.maxCommitIndex();
    }

    /** From now on every node's exit is expected (the disk audit stops them all). */
    void expectExits() {
        closing = true;
    }

    private CheckOutcome processCheck(List<HistoryOp> history) {
        List<String> v = new ArrayList<>(unexpectedExits);
        v.addAll(violations);
        Map<String, Object> d = new LinkedHashMap<>();
        List<String> checked = new ArrayList<>(List.of(
                "no node process exited unless the nemesis killed it or it refused a damaged data dir",
                "no ordinary client's admin request carried out"));
        checked.addAll(EventMonitor.checked());
        checked.add(LeadershipStability.PROPERTY);
        d.put("checked", checked);
        d.put("processes-started", started);
        d.put("refused-damaged-data", new ArrayList<>(new TreeSet<>(refused)));
        long runStartWallMillis = System.currentTimeMillis() - scheduler.nowNanos() / 1_000_000;
        NodeEventCheck events = nodeEvents(history, runStartWallMillis);
        events.violations().forEach(x -> v.add(x.describe()));
        d.put("event-monitor", events.facts());
        d.put("violations-at", events.timeline(runStartWallMillis));
        d.put("violations", v);
        if (!v.isEmpty()) {
            d.put("why", v.get(0));
        }
        return new CheckOutcome("cluster", Validity.of(v.isEmpty()), d);
    }

    /** Every node's event stream, judged by the simulator's monitors (read once, at the end of the run). */
    private NodeEventCheck nodeEvents(List<HistoryOp> history, long runStartWallMillis) {
        if (eventCheck == null) {
            Map<Integer, Path> dirs = new TreeMap<>();
            membership.allIds().forEach(id -> dirs.put(id, dataDir(id)));
            Set<Integer> voters = new TreeSet<>();
            IntStream.rangeClosed(1, n).forEach(voters::add);
            List<LeadershipStability.Period> periods =
                    LeadershipStability.periods(history, voters, scheduler.nowNanos());
            boolean clocksMoved = history.stream()
                    .anyMatch(o -> o.nemesis()
                            && o.f().equals("start-clock")
                            && o.value() instanceof Map<?, ?> m
                            && m.containsKey("effect"));
            eventCheck = NodeEventCheck.of(dirs, List.copyOf(logLosses), periods, runStartWallMillis, clocksMoved);
        }
        return eventCheck;
    }

    private NodeEventCheck eventCheck;

    @Override
    public Map<String, Object> facts() {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("env", env());
        f.put("processes-started", started);
        f.put("peer-frames-forwarded", links.framesForwarded());
        f.putAll(options.node().describe());
        f.putAll(NodeLogCounts.count(membership.allIds(), this::dataDir));
        if (!options.testOnlyBugs().isEmpty()) {
            f.put("bug", String.join(",", options.testOnlyBugs()));
        }
        return f;
    }

    @Override
    public void collectLogs(Path dir) throws IOException {
        for (int id : nodes()) {
            Path to = dir.resolve("n" + id);
            Files.createDirectories(to);
            // The event streams too: the evidence the cluster check judged, readable again later.
            for (String name : List.of("node.log", "stdout.log", EventFiles.ROTATED_FILE_NAME, EventFiles.FILE_NAME)) {
                Path from = dataDir(id).resolve(name);
                if (Files.isRegularFile(from)) {
                    Files.copy(from, to.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    private void closeHostile() {
        HostileAttacks h = hostile;
        if (h != null) {
            hostile = null;
            h.close();
        }
    }

    @Override
    public void close() {
        closeHostile();
        killAll();
        for (KvClient c : clients) {
            c.close();
        }
        if (statusClient != null) {
            statusClient.close();
        }
        links.closeProxies(); // on the event loops: before they stop
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        disks.unmountAll();
        links.closeNamespaces();
        deleteRoot();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // already shutting down: the hook runs anyway
        }
    }

    private void deleteRoot() {
        Commands.deleteTree(root);
    }
}
