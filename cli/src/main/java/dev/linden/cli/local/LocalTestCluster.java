package dev.linden.cli.local;

import dev.linden.checker.history.OpType;
import dev.linden.cli.LocalCluster;
import dev.linden.cli.Main;
import dev.linden.harness.Cluster;
import dev.linden.harness.Scheduler;
import dev.linden.kvnode.client.IndeterminateException;
import dev.linden.kvnode.client.KvClient;
import dev.linden.kvnode.client.RequestFailedException;
import dev.linden.kvnode.kv.KvResult;
import dev.linden.kvnode.net.Wire;
import dev.linden.nemesis.FaultOps;
import dev.linden.nemesis.Grudges;
import dev.linden.nemesis.Nemesis;
import dev.linden.nemesis.Targets;
import dev.linden.workloads.Client;
import dev.linden.workloads.Completion;
import dev.linden.workloads.HistoryOp;
import dev.linden.workloads.KvRequest;
import dev.linden.workloads.Workload;
import dev.linden.workloads.check.CheckOutcome;
import dev.linden.workloads.check.Checks;
import dev.linden.workloads.check.Validity;
import dev.linden.workloads.gen.Op;
import io.netty.channel.nio.NioEventLoopGroup;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The harness's {@link Cluster} on real node processes ({@code --env local}): N node JVMs on loopback,
 * each with its own data dir, every peer link through a {@link LinkProxy} the harness owns, clients
 * through the real {@link KvClient}, faults as signals (kill -9, SIGSTOP/SIGCONT), proxy rules
 * (partitions in one direction or both, loss, duplication, reordering, clogging) and files (a bit
 * flipped in a stopped node's WAL, a wiped data dir). Every process it started is killed on
 * {@link #close()}, and by a shutdown hook on Ctrl-C; its temporary directory is deleted.
 */
public final class LocalTestCluster implements Cluster {
    private static final long MS = 1_000_000L;
    private static final long START_TIMEOUT_MILLIS = 60_000;
    private static final long STATUS_EVERY_MILLIS = 500;

    /**
     * How node processes are run.
     *
     * @param net  {@code proxy}: loopback, every peer link through a {@link LinkProxy} (no root); {@code netns}:
     *             a network namespace per node, partitions by iptables ({@link Netns}, root)
     */
    public record Options(boolean unsafeLocalReads, String heap, String net, boolean clockFaults, boolean diskFaults) {
        public Options {
            if (!net.equals("proxy") && !net.equals("netns")) {
                throw new IllegalArgumentException("--net is proxy or netns");
            }
        }

        public static Options defaults() {
            return new Options(false, "256m", "proxy", false, false);
        }
    }

    /** Debian's libfaketime: each node's clock (wall and monotonic) is moved through a control file. */
    static final Path LIBFAKETIME = Path.of("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1");
    /** Per node: the clock offset in ms and the rate the control file holds. */
    private final Map<Integer, long[]> clockOffsetMillis = new ConcurrentHashMap<>();
    private final Map<Integer, Double> clockRate = new ConcurrentHashMap<>();
    /** Size of each node's data dir mount when disk faults are on (root): a tmpfs that can be filled. */
    static final String DATA_MOUNT_SIZE = "192m";
    private final List<Path> mounts = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** Nodes whose disk is full now, and those that died of it (restarted when the disk has room again). */
    private final Set<Integer> diskFull = ConcurrentHashMap.newKeySet();
    private final Set<Integer> diedOfFullDisk = ConcurrentHashMap.newKeySet();

    /** Ports inside each node's namespace (each has its own address). */
    private static final int NETNS_PEER_PORT = 7000;
    private static final int NETNS_CLIENT_PORT = 7001;
    private Netns netns;

    private final long seed;
    private final int n;
    private final Options options;
    private final SplittableRandom random;
    private final WallScheduler scheduler = new WallScheduler();
    private final Path root;
    private final String clusterId;
    private final Map<Integer, Integer> peerPort = new TreeMap<>();
    private final Map<Integer, Integer> clientPort = new TreeMap<>();
    private final Map<String, LinkProxy> proxies = new TreeMap<>();
    private final Map<Integer, Process> processes = new ConcurrentHashMap<>();
    private final Set<Integer> killedByNemesis = ConcurrentHashMap.newKeySet();
    private final Set<Integer> paused = ConcurrentHashMap.newKeySet();
    /** Nodes whose data was corrupted or wiped by the nemesis: a refusal to start is then expected. */
    private final Set<Integer> damaged = ConcurrentHashMap.newKeySet();
    private final Set<Integer> refused = ConcurrentHashMap.newKeySet();
    private final List<String> unexpectedExits = java.util.Collections.synchronizedList(new ArrayList<>());
    private final List<KvClient> clients = new ArrayList<>();
    private final NioEventLoopGroup group = new NioEventLoopGroup(2);
    private KvClient statusClient;
    private boolean bootstrapped;
    private long started;
    private final Thread hook;
    private volatile boolean closing;
    private long lastStatusNanos = Long.MIN_VALUE;
    private Map<Integer, Wire.StatusResponse> lastStatus = Map.of();

    public LocalTestCluster(long seed, int nodes, Options options) {
        this.seed = seed;
        this.n = nodes;
        this.options = options;
        this.random = new SplittableRandom(seed);
        this.clusterId = "local-" + seed + "-" + ProcessHandle.current().pid();
        try {
            this.root = Files.createTempDirectory("linden-local-");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        this.hook = new Thread(() -> {
            killAll();
            unmountAll();
            if (netns != null) {
                netns.close();
            }
            deleteRoot();
        }, "linden-local-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    public static Cluster.Factory factory(Options options) {
        return (seed, nodes) -> new LocalTestCluster(seed, nodes, options);
    }

    @Override
    public String env() {
        return "local";
    }

    @Override
    public List<Integer> nodes() {
        List<Integer> ids = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            ids.add(i);
        }
        return ids;
    }

    @Override
    public Scheduler scheduler() {
        return scheduler;
    }

    // ------------------------------------------------------------------ processes

    private final Set<Integer> portsTaken = new HashSet<>();

    /**
     * A free port for a node, below the ephemeral range (32768 and up on Linux), so the proxies and
     * clients, which bind ephemeral ports, can never take a node's port between its pick and its start.
     */
    private int freePort() throws IOException {
        for (int attempt = 0; attempt < 1000; attempt++) {
            int port = 20_000 + random.nextInt(12_000);
            if (portsTaken.contains(port)) {
                continue;
            }
            try (ServerSocket s = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
                portsTaken.add(port);
                return s.getLocalPort();
            } catch (IOException inUse) {
                // taken by someone else: another
            }
        }
        throw new IOException("no free port in 20000-32000");
    }

    private static String link(int a, int b) {
        return Math.min(a, b) + "-" + Math.max(a, b);
    }

    Path dataDir(int id) {
        return root.resolve("n" + id);
    }

    @Override
    public void start() {
        try {
            if (options.net().equals("netns")) {
                String why = Netns.unavailable();
                if (why != null) {
                    throw new IllegalStateException(why);
                }
                netns = new Netns(n);
                netns.create();
            }
            if (options.diskFaults() && "root".equals(System.getProperty("user.name"))) {
                for (int id : nodes()) {
                    // A size-limited tmpfs per data dir, so the nemesis can fill a node's disk.
                    Files.createDirectories(dataDir(id));
                    command("mount", "-t", "tmpfs", "-o", "size=" + DATA_MOUNT_SIZE, "tmpfs", dataDir(id).toString());
                    mounts.add(dataDir(id));
                }
            }
            for (int id : nodes()) {
                peerPort.put(id, netns != null ? NETNS_PEER_PORT : freePort());
                clientPort.put(id, netns != null ? NETNS_CLIENT_PORT : freePort());
            }
            for (int a : nodes()) {
                if (netns != null) {
                    break; // partitions are iptables rules: no proxies
                }
                for (int b : nodes()) {
                    if (a < b) {
                        proxies.put(link(a, b), new LinkProxy(a, b, 0,
                                new InetSocketAddress("127.0.0.1", peerPort.get(b)), group, random.nextLong()));
                    }
                }
            }
            for (int id : nodes()) {
                launch(id);
            }
            Map<Integer, InetSocketAddress> endpoints = clientEndpoints();
            statusClient = new KvClient(endpoints, new KvClient.Options(1_000, 2_000, 64), group);
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
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting the local cluster", e);
        }
    }

    private String host(int id) {
        return netns != null ? netns.ip(id) : "127.0.0.1";
    }

    private Map<Integer, InetSocketAddress> clientEndpoints() {
        Map<Integer, InetSocketAddress> endpoints = new TreeMap<>();
        clientPort.forEach((id, port) -> endpoints.put(id, new InetSocketAddress(host(id), port)));
        return endpoints;
    }

    private void launch(int id) throws IOException {
        Path dir = dataDir(id);
        Files.createDirectories(dir);
        StringBuilder peers = new StringBuilder();
        for (int other : nodes()) {
            // Node a dials every higher-numbered node b, here through the proxy of the link a-b.
            int port = netns != null || other <= id ? peerPort.get(other) : proxyPort(id, other);
            peers.append(peers.length() == 0 ? "" : ",").append(other).append('=').append(host(other)).append(':')
                    .append(port);
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(LocalCluster.memoryFlags(options.heap(), 64L << 20, 128L << 20));
        cmd.addAll(List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "node", "--id", String.valueOf(id), "--peers", peers.toString(), "--client-port",
                String.valueOf(clientPort.get(id)), "--client-host", host(id), "--data-dir", dir.toString(), "--cluster-id", clusterId,
                "--initial-cluster-state", bootstrapped ? "existing" : "new", "--quota-bytes", String.valueOf(64L << 20),
                "--exit-with-parent", String.valueOf(ProcessHandle.current().pid())));
        if (options.unsafeLocalReads()) {
            cmd.add("--test-only-unsafe-local-reads");
        }
        if (netns != null) {
            cmd = netns.inNamespace(id, cmd); // ip execs java in the namespace: the pid stays the node's
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("stdout.log").toFile()));
        if (clocksMovable()) {
            // The node's clocks, wall and monotonic (so its timers too), follow its control file.
            if (!Files.exists(clockFile(id))) {
                writeClock(id);
            }
            pb.environment().put("LD_PRELOAD", LIBFAKETIME.toString());
            pb.environment().put("FAKETIME_TIMESTAMP_FILE", clockFile(id).toString());
            pb.environment().put("FAKETIME_CACHE_DURATION", "1");
        }
        Process p = pb.start();
        started++;
        processes.put(id, p);
        p.onExit().thenAccept(done -> exited(id, done));
    }

    private boolean clocksMovable() {
        return options.clockFaults() && Files.isReadable(LIBFAKETIME);
    }

    private Path clockFile(int id) {
        return root.resolve("clock-n" + id + ".rc");
    }

    /** Writes node {@code id}'s libfaketime control file: "+S.sss xRATE" (read within a second). */
    private void writeClock(int id) throws IOException {
        long offset = clockOffsetMillis.computeIfAbsent(id, k -> new long[1])[0];
        double rate = clockRate.getOrDefault(id, 1.0);
        String spec = String.format(java.util.Locale.ROOT, "%+.3f", offset / 1000.0)
                + (rate == 1.0 ? "" : String.format(java.util.Locale.ROOT, " x%.6f", rate));
        Path tmp = clockFile(id).resolveSibling(clockFile(id).getFileName() + ".tmp");
        Files.writeString(tmp, spec + "\n");
        Files.move(tmp, clockFile(id), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private int proxyPort(int low, int high) {
        return proxies.get(link(low, high)).port();
    }

    private void exited(int id, Process p) {
        if (closing || processes.get(id) != p) {
            return;
        }
        int code = p.exitValue();
        if (killedByNemesis.contains(id)) {
            return;
        }
        if (code == 2 && damaged.contains(id)) {
            refused.add(id); // refused its corrupted or wiped data dir, as it must
            return;
        }
        if (diskFull.contains(id)) {
            diedOfFullDisk.add(id); // stopped on a storage failure rather than lose writes; restarted with room
            return;
        }
        unexpectedExits.add("node " + id + " (pid " + p.pid() + ") exited by itself with code " + code + "; last log: "
                + lastLines(id, 5));
    }

    private String lastLines(int id, int count) {
        try {
            List<String> all = Files.readAllLines(dataDir(id).resolve("stdout.log"));
            return String.join(" | ", all.subList(Math.max(0, all.size() - count), all.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    private boolean alive(int id) {
        Process p = processes.get(id);
        return p != null && p.isAlive();
    }

    /** Kills a node with SIGKILL and waits for it to be gone; returns its pid, or -1 if it was not running. */
    private long kill(int id) {
        Process p = processes.get(id);
        if (p == null || !p.isAlive()) {
            return -1;
        }
        killedByNemesis.add(id);
        p.destroyForcibly();
        try {
            p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        paused.remove(id);
        return p.pid();
    }

    private static void signal(long pid, String sig) {
        try {
            new ProcessBuilder("kill", "-" + sig, String.valueOf(pid)).redirectErrorStream(true).start().waitFor(5, TimeUnit.SECONDS);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void killAll() {
        closing = true;
        for (Process p : processes.values()) {
            if (p.isAlive()) {
                signal(p.pid(), "CONT"); // a stopped process dies on SIGKILL too, but let it go cleanly
                p.destroyForcibly();
            }
        }
        for (Process p : processes.values()) {
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Statuses of the nodes that answer (cached for {@link #STATUS_EVERY_MILLIS} unless {@code fresh}). */
    private Map<Integer, Wire.StatusResponse> status(boolean fresh) {
        long now = System.nanoTime();
        if (!fresh && now - lastStatusNanos < STATUS_EVERY_MILLIS * MS) {
            return lastStatus;
        }
        Map<Integer, CompletableFuture<Wire.StatusResponse>> asked = new TreeMap<>();
        for (int id : nodes()) {
            if (alive(id) && !paused.contains(id)) {
                asked.put(id, statusClient.status(id));
            }
        }
        Map<Integer, Wire.StatusResponse> out = new TreeMap<>();
        asked.forEach((id, f) -> {
            try {
                out.put(id, f.get(1_000, TimeUnit.MILLISECONDS));
            } catch (Exception e) {
                // not answering
            }
        });
        lastStatusNanos = System.nanoTime();
        lastStatus = out;
        return out;
    }

    /** The leader a majority agrees on, or -1. */
    private int leader(boolean fresh) {
        Map<Integer, Wire.StatusResponse> s = status(fresh);
        for (Wire.StatusResponse r : s.values()) {
            if (r.role().equals("LEADER")) {
                long agree = s.values().stream().filter(o -> o.leaderId() == r.nodeId() && o.term() == r.term()).count();
                if (agree > n / 2) {
                    return r.nodeId();
                }
            }
        }
        return -1;
    }

    // ------------------------------------------------------------------ Cluster

    @Override
    public Client client(int thread, Workload workload) {
        Map<Integer, InetSocketAddress> endpoints = clientEndpoints();
        KvClient kv = new KvClient(endpoints, new KvClient.Options(1_000, 5_000, 4), group);
        clients.add(kv);
        return new Client() {
            @Override
            public void invoke(Op op, Consumer<Completion> done) {
                KvRequest r = workload.request(op);
                CompletableFuture<KvResult> f = switch (r.kind()) {
                    case GET -> kv.get(r.key());
                    case PUT -> kv.put(r.key(), r.value());
                    case APPEND -> kv.append(r.key(), r.value());
                    case CAS -> kv.cas(r.key(), r.expected(), r.value());
                };
                f.whenComplete((res, err) -> {
                    Completion c = completion(workload, op, r, res, err);
                    scheduler.schedule(0, () -> done.accept(c));
                });
            }

            @Override
            public void close() {
                kv.close();
            }
        };
    }

    private static Completion completion(Workload w, Op op, KvRequest r, KvResult res, Throwable err) {
        Throwable e = err instanceof java.util.concurrent.CompletionException && err.getCause() != null ? err.getCause() : err;
        if (e instanceof RequestFailedException) {
            return Completion.fail(String.valueOf(e.getMessage()));
        }
        if (e != null) {
            return Completion.info(e instanceof IndeterminateException ? "indeterminate: " + e.getMessage() : String.valueOf(e));
        }
        switch (res.status()) {
            case OK:
                try {
                    return Completion.ok(w.okValue(op, res.value()));
                } catch (IllegalArgumentException bad) {
                    return Completion.ok(res.value()); // what no client wrote: for the checks to judge
                }
            case CAS_MISMATCH:
                return Completion.fail("cas-mismatch");
            default:
                return Completion.info(res.status().name().toLowerCase());
        }
    }

    @Override
    public Nemesis nemesis() {
        return new LocalNemesis();
    }

    @Override
    public boolean converged() {
        Map<Integer, Wire.StatusResponse> s = status(false);
        long applied = -1;
        long commit = 0;
        for (int id : nodes()) {
            if (refused.contains(id)) {
                continue;
            }
            Wire.StatusResponse r = s.get(id);
            if (r == null) {
                return false;
            }
            if (applied >= 0 && r.appliedIndex() != applied) {
                return false;
            }
            applied = r.appliedIndex();
            commit = Math.max(commit, r.commitIndex());
        }
        return applied >= commit;
    }

    @Override
    public String describe() {
        Map<Integer, Wire.StatusResponse> s = status(true);
        StringBuilder b = new StringBuilder();
        for (int id : nodes()) {
            Wire.StatusResponse r = s.get(id);
            b.append(b.length() == 0 ? "" : "; ").append(id).append('=');
            if (refused.contains(id)) {
                b.append("refused to start (").append(lastLines(id, 1)).append(')');
            } else if (r == null) {
                b.append(alive(id) ? (paused.contains(id) ? "paused" : "not answering") : "down");
            } else {
                b.append(r.role()).append("/t").append(r.term()).append(" commit ").append(r.commitIndex())
                        .append(" applied ").append(r.appliedIndex()).append(" pid ").append(processes.get(id).pid());
            }
        }
        return b.toString();
    }

    @Override
    public List<CheckOutcome> invariants(List<HistoryOp> history) {
        List<String> v = new ArrayList<>(unexpectedExits);
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("checked", List.of("no node process exited unless the nemesis killed it or it refused a damaged data dir"));
        d.put("processes-started", started);
        d.put("refused-damaged-data", new ArrayList<>(new java.util.TreeSet<>(refused)));
        d.put("violations", v);
        if (!v.isEmpty()) {
            d.put("why", v.get(0));
        }
        return List.of(new CheckOutcome("cluster", Validity.of(v.isEmpty()), d));
    }

    @Override
    public Map<String, Object> facts() {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("env", "local");
        f.put("processes-started", started);
        long forwarded = 0;
        for (LinkProxy p : proxies.values()) {
            forwarded += p.up.forwarded.get() + p.down.forwarded.get();
        }
        f.put("peer-frames-forwarded", forwarded);
        if (options.unsafeLocalReads()) {
            f.put("bug", "unsafe-reads");
        }
        return f;
    }

    @Override
    public void collectLogs(Path dir) throws IOException {
        for (int id : nodes()) {
            Path to = dir.resolve("n" + id);
            Files.createDirectories(to);
            for (String name : List.of("node.log", "stdout.log")) {
                Path from = dataDir(id).resolve(name);
                if (Files.isRegularFile(from)) {
                    Files.copy(from, to.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    @Override
    public void close() {
        killAll();
        for (KvClient c : clients) {
            c.close();
        }
        if (statusClient != null) {
            statusClient.close();
        }
        proxies.values().forEach(LinkProxy::close);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        unmountAll();
        if (netns != null) {
            netns.close();
        }
        deleteRoot();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // already shutting down: the hook runs anyway
        }
    }

    private void unmountAll() {
        for (Path m : mounts) {
            try {
                command("umount", "-l", m.toString());
            } catch (IOException e) {
                // already unmounted
            }
        }
        mounts.clear();
    }

    private static String command(String... cmd) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", cmd) + ": timed out");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed: " + out.strip());
        }
        return out;
    }

    private void deleteRoot() {
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | java.io.UncheckedIOException e) {
            // best effort: the temp dir (already gone, or a file vanishing under the walk)
        }
    }

    // ------------------------------------------------------------------ the nemesis on real processes

    private final class LocalNemesis implements Nemesis {
        private final Set<String> cutLinks = new HashSet<>();
        private long droppedAtCut;
        private final Map<String, Long> linkStartCount = new TreeMap<>();
        private final Set<Integer> clogged = new HashSet<>();

        @Override
        public void setup() {}

        @Override
        public void teardown() {}

        @Override
        public void invoke(Op op, Consumer<Completion> done) {
            Map<String, Object> v = new LinkedHashMap<>();
            if (op.value() instanceof Map<?, ?> m) {
                m.forEach((k, x) -> v.put(String.valueOf(k), x));
            }
            Object result;
            try {
                result = apply(op.f(), v);
            } catch (IOException | RuntimeException e) {
                result = FaultOps.noEffect("failed: " + e);
            }
            Object r = result;
            scheduler.schedule(0, () -> done.accept(new Completion(OpType.INFO, r, null)));
        }

        private List<Integer> targets(Map<String, Object> v) {
            return Targets.resolve(String.valueOf(v.getOrDefault("targets", "one")), nodes(), leader(true), random);
        }

        private Object apply(String f, Map<String, Object> v) throws IOException {
            switch (f) {
                case "start-partition":
                    return partition(String.valueOf(v.getOrDefault("shape", "halves")));
                case "stop-partition":
                    return stopPartition();
                case "kill": {
                    List<Integer> killed = new ArrayList<>();
                    List<Long> pids = new ArrayList<>();
                    for (int id : targets(v)) {
                        long pid = kill(id);
                        if (pid > 0) {
                            killed.add(id);
                            pids.add(pid);
                        }
                    }
                    return killed.isEmpty() ? FaultOps.noEffect("every target was already down")
                            : FaultOps.effect("killed with SIGKILL", "nodes", killed, "pids", pids);
                }
                case "start":
                    return startKilled();
                case "pause": {
                    List<Integer> hit = new ArrayList<>();
                    List<Long> pids = new ArrayList<>();
                    for (int id : targets(v)) {
                        if (alive(id) && paused.add(id)) {
                            signal(processes.get(id).pid(), "STOP");
                            hit.add(id);
                            pids.add(processes.get(id).pid());
                        }
                    }
                    return hit.isEmpty() ? FaultOps.noEffect("no target was running")
                            : FaultOps.effect("stopped with SIGSTOP", "nodes", hit, "pids", pids);
                }
                case "resume":
                    return resume();
                case "start-link":
                    return startLink(String.valueOf(v.get("behavior")), v);
                case "stop-link":
                    return stopLink(String.valueOf(v.get("behavior")));
                case "bitflip":
                    return bitflip(targets(v).get(0));
                case "wipe-disk":
                    return wipe(targets(v).get(0));
                case "start-clock":
                    return startClock(targets(v), ((Number) v.getOrDefault("offset-ms", 0L)).longValue(),
                            ((Number) v.getOrDefault("drift-ppm", 0L)).longValue());
                case "stop-clock":
                    return stopClock();
                case "start-disk-full":
                    return fillDisks(targets(v));
                case "stop-disk-full":
                    return emptyDisks();
                default:
                    return FaultOps.noEffect("not a fault this nemesis knows: " + f);
            }
        }

        private final Set<Integer> clockFaulted = new java.util.TreeSet<>();

        private Path filler(int id) {
            return dataDir(id).resolve("disk-full.fill");
        }

        /** Fills each target's data dir tmpfs to the last byte. */
        private Object fillDisks(List<Integer> targets) throws IOException {
            if (mounts.isEmpty()) {
                return FaultOps.noEffect("a full disk needs a size-limited mount of each data dir (tmpfs), which "
                        + "needs root");
            }
            Map<String, Object> filled = new LinkedHashMap<>();
            for (int id : targets) {
                long free = Files.getFileStore(dataDir(id)).getUsableSpace();
                if (free > 0) {
                    command("fallocate", "-l", String.valueOf(free), filler(id).toString());
                }
                diskFull.add(id);
                filled.put(String.valueOf(id), Checks.ordered("bytes-filled", free,
                        "bytes-free-now", Files.getFileStore(dataDir(id)).getUsableSpace()));
            }
            return FaultOps.effect("data dirs filled to the last byte", "disks", filled);
        }

        /** Frees the filled disks and starts the nodes that stopped on a full disk. */
        private Object emptyDisks() throws IOException {
            if (diskFull.isEmpty()) {
                return FaultOps.noEffect("no disk was full");
            }
            List<Integer> freed = new ArrayList<>(new java.util.TreeSet<>(diskFull));
            for (int id : freed) {
                Files.deleteIfExists(filler(id));
            }
            diskFull.clear();
            List<Integer> died = new ArrayList<>(new java.util.TreeSet<>(diedOfFullDisk));
            diedOfFullDisk.clear();
            for (int id : died) {
                if (!alive(id) && !refused.contains(id) && !killedByNemesis.contains(id)) {
                    launch(id);
                }
            }
            return FaultOps.effect("disks have room again", "nodes", freed, "stopped-on-full-disk-and-restarted", died);
        }

        private Object startClock(List<Integer> targets, long offsetMillis, long driftPpm) throws IOException {
            if (!clocksMovable()) {
                return FaultOps.noEffect(Files.isReadable(LIBFAKETIME) ? "the nodes were started without libfaketime"
                        : "clock faults on local processes need libfaketime (apt-get install faketime)");
            }
            Map<String, Object> moved = new LinkedHashMap<>();
            double rate = Math.max(0.5, Math.min(2.0, 1 + driftPpm / 1e6));
            for (int id : targets) {
                long[] off = clockOffsetMillis.computeIfAbsent(id, k -> new long[1]);
                off[0] += offsetMillis;
                clockRate.put(id, rate);
                writeClock(id);
                clockFaulted.add(id);
                moved.put(String.valueOf(id), offsetMillis);
            }
            return FaultOps.effect("clocks moved through libfaketime (wall and monotonic)", "moved-ms", moved,
                    "rate", rate);
        }

        private Object stopClock() throws IOException {
            if (clockFaulted.isEmpty()) {
                return FaultOps.noEffect("no clock was faulted");
            }
            List<Integer> reset = new ArrayList<>(clockFaulted);
            for (int id : reset) {
                clockRate.put(id, 1.0); // a stepped clock stays stepped; its rate is normal again
                writeClock(id);
            }
            clockFaulted.clear();
            return FaultOps.effect("clock rates back to normal (offsets kept)", "nodes", reset);
        }

        private Object partition(String shape) throws IOException {
            Set<Grudges.Link> blocked = Grudges.of(shape, nodes(), leader(true), random);
            if (blocked.isEmpty()) {
                return FaultOps.noEffect("a " + shape + " partition of " + n + " node(s) cuts no link");
            }
            if (netns != null) {
                netns.heal();
                cutLinks.clear();
                for (Grudges.Link l : blocked) {
                    netns.drop(l.from(), l.to());
                    cutLinks.add(l.from() + ">" + l.to());
                }
                Map<String, Object> grudge = new LinkedHashMap<>();
                Grudges.grudge(blocked, nodes()).forEach((to, from) -> grudge.put(String.valueOf(to), from));
                return FaultOps.effect("partitioned with iptables DROP rules in the nodes' namespaces", "shape", shape,
                        "grudge", grudge);
            }
            restoreCuts();
            droppedAtCut = droppedFrames();
            for (Grudges.Link l : blocked) {
                proxies.get(link(l.from(), l.to())).from(l.from()).cut = true;
                cutLinks.add(l.from() + ">" + l.to());
            }
            Map<String, Object> grudge = new LinkedHashMap<>();
            Grudges.grudge(blocked, nodes()).forEach((to, from) -> grudge.put(String.valueOf(to), from));
            return FaultOps.effect("partitioned at the link proxies", "shape", shape, "grudge", grudge);
        }

        private long droppedFrames() {
            long d = 0;
            for (LinkProxy p : proxies.values()) {
                d += p.up.dropped.get() + p.down.dropped.get();
            }
            return d;
        }

        private void restoreCuts() {
            for (LinkProxy p : proxies.values()) {
                p.up.cut = false;
                p.down.cut = false;
            }
            cutLinks.clear();
        }

        private Object stopPartition() throws IOException {
            if (cutLinks.isEmpty()) {
                return FaultOps.noEffect("no partition was active");
            }
            if (netns != null) {
                long packets = netns.droppedPackets();
                netns.heal();
                cutLinks.clear();
                return packets == 0 ? FaultOps.noEffect("healed, but no packet crossed the cut while it held")
                        : FaultOps.effect("healed", "packets-dropped", packets);
            }
            long dropped = droppedFrames() - droppedAtCut;
            restoreCuts();
            return dropped == 0 ? FaultOps.noEffect("healed, but no frame crossed the cut while it held")
                    : FaultOps.effect("healed", "frames-dropped", dropped);
        }

        private long linkCounter(String behavior) {
            long c = 0;
            for (LinkProxy p : proxies.values()) {
                for (LinkProxy.Direction d : List.of(p.up, p.down)) {
                    c += switch (behavior) {
                        case "loss" -> d.lost.get();
                        case "duplicate" -> d.duplicated.get();
                        default -> d.delayed.get();
                    };
                }
            }
            return c;
        }

        private Object startLink(String behavior, Map<String, Object> v) {
            if (netns != null) {
                return FaultOps.noEffect("link faults need netem (not available here) under --net netns; "
                        + "the default --net proxy has them");
            }
            if (linkStartCount.containsKey(behavior)) {
                return FaultOps.noEffect("link behavior " + behavior + " is already active");
            }
            linkStartCount.put(behavior, linkCounter(behavior));
            List<Integer> hit = new ArrayList<>();
            if (behavior.equals("clog")) {
                hit = targets(v);
                clogged.addAll(hit);
            }
            for (LinkProxy p : proxies.values()) {
                for (LinkProxy.Direction d : List.of(p.up, p.down)) {
                    switch (behavior) {
                        case "loss" -> d.lossRate = ((Number) v.getOrDefault("rate", 0.2)).doubleValue();
                        case "duplicate" -> d.duplicateRate = ((Number) v.getOrDefault("rate", 0.2)).doubleValue();
                        case "reorder" -> d.jitterMicros = ((Number) v.getOrDefault("jitter-micros", 5_000)).longValue();
                        case "clog" -> {
                            if (clogged.contains(p.low) || clogged.contains(p.high)) {
                                d.delayMillis = 500 + random.nextInt(2_500);
                            }
                        }
                        default -> throw new IllegalArgumentException("start-link behavior " + behavior);
                    }
                }
            }
            return FaultOps.effect("link proxies " + behavior, "nodes", hit);
        }

        private Object stopLink(String behavior) {
            Long at = linkStartCount.remove(behavior);
            if (at == null) {
                return FaultOps.noEffect("link behavior " + behavior + " was not active");
            }
            long affected = linkCounter(behavior) - at;
            for (LinkProxy p : proxies.values()) {
                for (LinkProxy.Direction d : List.of(p.up, p.down)) {
                    switch (behavior) {
                        case "loss" -> d.lossRate = 0;
                        case "duplicate" -> d.duplicateRate = 0;
                        case "reorder" -> d.jitterMicros = 0;
                        default -> d.delayMillis = 0;
                    }
                }
            }
            if (behavior.equals("clog")) {
                clogged.clear();
            }
            return affected == 0 ? FaultOps.noEffect("no frame was affected")
                    : FaultOps.effect("restored", "frames-affected", affected);
        }

        private Object startKilled() throws IOException {
            List<Integer> startedNodes = new ArrayList<>();
            List<Long> pids = new ArrayList<>();
            for (int id : new java.util.TreeSet<>(killedByNemesis)) {
                if (!alive(id) && !refused.contains(id)) {
                    killedByNemesis.remove(id);
                    launch(id);
                    startedNodes.add(id);
                    pids.add(processes.get(id).pid());
                }
            }
            killedByNemesis.clear();
            return startedNodes.isEmpty() ? FaultOps.noEffect("no killed node was down")
                    : FaultOps.effect("started", "nodes", startedNodes, "pids", pids);
        }

        private Object resume() {
            if (paused.isEmpty()) {
                return FaultOps.noEffect("no node was paused");
            }
            List<Integer> resumed = new ArrayList<>();
            for (int id : new java.util.TreeSet<>(paused)) {
                if (alive(id)) {
                    signal(processes.get(id).pid(), "CONT");
                    resumed.add(id);
                }
            }
            paused.clear();
            return resumed.isEmpty() ? FaultOps.noEffect("the paused nodes had been killed since")
                    : FaultOps.effect("continued with SIGCONT", "nodes", resumed);
        }

        /** Kills the node, flips one bit in the middle of a WAL segment's data, and starts it again. */
        private Object bitflip(int id) throws IOException {
            kill(id);
            List<Path> segments = new ArrayList<>();
            Path wal = dataDir(id).resolve("wal");
            if (Files.isDirectory(wal)) {
                try (Stream<Path> ls = Files.list(wal)) {
                    ls.filter(p -> p.getFileName().toString().endsWith(".seg")).sorted().forEach(segments::add);
                }
            }
            String where = null;
            for (Path seg : segments) {
                long end = dataEnd(seg);
                if (end > 4096) {
                    long pos = 64 + random.nextLong(end - 2048 - 64);
                    try (RandomAccessFile f = new RandomAccessFile(seg.toFile(), "rw")) {
                        f.seek(pos);
                        int b = f.read();
                        f.seek(pos);
                        f.write(b ^ (1 << random.nextInt(8)));
                        f.getFD().sync();
                    }
                    where = seg.getFileName() + " byte " + pos;
                    break;
                }
            }
            damaged.add(id);
            killedByNemesis.remove(id);
            launch(id);
            if (where == null) {
                return FaultOps.noEffect("node " + id + " had no WAL data to corrupt yet; restarted it");
            }
            return FaultOps.effect("flipped a bit in a stopped node's WAL, then started it", "node", id, "where", where);
        }

        /** One past the last non-zero byte (segments may be preallocated with zeros). */
        private long dataEnd(Path seg) throws IOException {
            byte[] all = Files.readAllBytes(seg);
            int end = all.length;
            while (end > 0 && all[end - 1] == 0) {
                end--;
            }
            return end;
        }

        /** Kills the node, empties its data dir, and starts it again: it must refuse (exit 2). */
        private Object wipe(int id) throws IOException {
            kill(id);
            long files = 0;
            Path dir = dataDir(id);
            try (Stream<Path> walk = Files.walk(dir)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    String name = p.getFileName().toString();
                    if (!p.equals(dir) && !name.equals("stdout.log") && !name.equals("node.log")) {
                        Files.delete(p);
                        files++;
                    }
                }
            }
            damaged.add(id);
            killedByNemesis.remove(id);
            launch(id);
            return FaultOps.effect("emptied a stopped node's data dir, then started it", "node", id, "files-lost", files);
        }

        @Override
        public void heal(Consumer<Completion> done) {
            List<String> undone = new ArrayList<>();
            if (!cutLinks.isEmpty()) {
                undone.add("partition");
            }
            restoreCuts();
            if (netns != null) {
                try {
                    netns.heal();
                } catch (IOException e) {
                    undone.add("iptables flush failed: " + e.getMessage());
                }
            }
            for (LinkProxy p : proxies.values()) {
                p.up.reset();
                p.down.reset();
            }
            if (!linkStartCount.isEmpty()) {
                undone.add("links " + linkStartCount.keySet());
                linkStartCount.clear();
            }
            clogged.clear();
            Object r;
            try {
                if (!clockFaulted.isEmpty()) {
                    undone.add("clock rates of " + clockFaulted);
                    stopClock();
                }
                if (!diskFull.isEmpty()) {
                    undone.add("full disks of " + diskFull);
                    emptyDisks();
                }
                Object resumed = resume();
                if (RunData.effective(resumed)) {
                    undone.add("resumed");
                }
                Object startedNodes = startKilled();
                if (RunData.effective(startedNodes)) {
                    undone.add("started killed nodes");
                }
                r = undone.isEmpty() ? FaultOps.noEffect("no fault was active") : FaultOps.effect("healed", "undone", undone);
            } catch (IOException e) {
                r = FaultOps.noEffect("heal failed: " + e);
            }
            Object result = r;
            scheduler.schedule(0, () -> done.accept(new Completion(OpType.INFO, result, null)));
        }
    }

    /** Small helper: whether a fault result says it had an effect. */
    private static final class RunData {
        static boolean effective(Object result) {
            return result instanceof Map<?, ?> m && m.get("effect") != null;
        }
    }
}
