package dev.linden.realenv;

import dev.linden.kvnode.client.KvClient;
import dev.linden.kvnode.net.Wire;
import dev.linden.kvnode.raft.MembershipChange;
import dev.linden.kvnode.tls.CertificateAuthority;
import dev.linden.kvnode.tls.ClientSecurity;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A local cluster of separate JVM processes on loopback, laid out in one directory:
 * {@code DIR/cluster.properties} (ports), {@code DIR/node-N/} (data, {@code pid}, {@code stdout.log}).
 */
public final class LocalCluster {
    public final Path dir;
    /** The highest node id of the layout: nodes 1..nodes (some may have been removed). */
    public int nodes;
    /** Nodes added to the running cluster: they start empty with --initial-cluster-state join. */
    public final TreeSet<Integer> joined = new TreeSet<>();
    /** Nodes removed from the cluster: never started again. */
    public final TreeSet<Integer> removed = new TreeSet<>();
    /** Nodes being added right now: not yet voters, so not counted in the majority that names a leader. */
    private final Set<Integer> adding = ConcurrentHashMap.newKeySet();

    public final int basePort;
    /** Written into every node's data dir at bootstrap; peers of another cluster are refused. */
    public final String clusterId;
    /** Once the cluster was bootstrapped, nodes start with --initial-cluster-state existing. */
    private boolean existing;
    /**
     * No TLS: nodes start with --insecure (an explicit choice, recorded in the layout). By default every node
     * gets a certificate from the cluster's own CA in {@link #certsDir()}, and clients a client certificate.
     */
    private boolean insecure;

    public LocalCluster(Path dir, int nodes, int basePort) {
        this(dir, nodes, basePort, "local-" + UUID.randomUUID(), false);
    }

    /** A layout with a given cluster id (tests: a node started under another cluster's id). */
    public static LocalCluster withClusterId(Path dir, int nodes, int basePort, String clusterId) {
        return new LocalCluster(dir, nodes, basePort, clusterId, false);
    }

    private LocalCluster(Path dir, int nodes, int basePort, String clusterId, boolean existing) {
        this.dir = dir;
        this.nodes = nodes;
        this.basePort = basePort;
        this.clusterId = clusterId;
        this.existing = existing;
    }

    /** Whether the cluster was bootstrapped (an empty node data dir then means lost data). */
    public boolean existing() {
        return existing;
    }

    /** Records that the cluster exists: from now on every node must bring its own data dir. */
    public void markExisting() throws IOException {
        existing = true;
        writeLayout();
    }

    public int peerPort(int id) {
        return basePort + id;
    }

    public int clientPort(int id) {
        return basePort + 100 + id;
    }

    public String peersSpec() {
        List<String> parts = new ArrayList<>();
        for (int i = 1; i <= nodes; i++) {
            parts.add(i + "=127.0.0.1:" + peerPort(i));
        }
        return String.join(",", parts);
    }

    public Map<Integer, InetSocketAddress> clientEndpoints() {
        TreeMap<Integer, InetSocketAddress> m = new TreeMap<>();
        for (int i = 1; i <= nodes; i++) {
            m.put(i, new InetSocketAddress("127.0.0.1", clientPort(i)));
        }
        return m;
    }

    public String clientEndpointsSpec() {
        List<String> parts = new ArrayList<>();
        for (int i = 1; i <= nodes; i++) {
            parts.add(i + "=127.0.0.1:" + clientPort(i));
        }
        return String.join(",", parts);
    }

    /** Reads a cluster laid out by {@link #writeLayout}. */
    public static LocalCluster open(Path dir) throws IOException {
        Properties p = new Properties();
        try (var in = Files.newInputStream(dir.resolve("cluster.properties"))) {
            p.load(in);
        }
        // A layout from before cluster ids: its nodes' data dirs have none either, so they are refused until
        // moved aside; a fresh id at least keeps it apart from every other cluster.
        String id = p.getProperty("cluster-id", "local-" + UUID.randomUUID());
        LocalCluster c = new LocalCluster(
                dir,
                Integer.parseInt(p.getProperty("nodes")),
                Integer.parseInt(p.getProperty("base-port")),
                id,
                "existing".equals(p.getProperty("initial-cluster-state")));
        c.insecure = "off".equals(p.getProperty("tls", "on"));
        c.joined.addAll(ids(p.getProperty("joined", "")));
        c.removed.addAll(ids(p.getProperty("removed", "")));
        return c;
    }

    private static List<Integer> ids(String csv) {
        List<Integer> out = new ArrayList<>();
        for (String s : csv.split(",")) {
            if (!s.isBlank()) {
                out.add(Integer.parseInt(s.trim()));
            }
        }
        return out;
    }

    private static String csv(Collection<Integer> ids) {
        return String.join(",", ids.stream().map(String::valueOf).toList());
    }

    public void writeLayout() throws IOException {
        Files.createDirectories(dir);
        Files.writeString(
                dir.resolve("cluster.properties"),
                "nodes=" + nodes + "\nbase-port=" + basePort
                        + "\npeers=" + peersSpec() + "\nclients=" + clientEndpointsSpec() + "\ncluster-id=" + clusterId
                        + "\ninitial-cluster-state=" + (existing ? "existing" : "new") + "\njoined=" + csv(joined)
                        + "\nremoved=" + csv(removed) + "\ntls=" + (insecure ? "off" : "on") + "\n");
    }

    /** Nodes run without TLS (--insecure) from now on; call before the first start. */
    public LocalCluster insecure(boolean insecure) {
        this.insecure = insecure;
        return this;
    }

    public boolean isInsecure() {
        return insecure;
    }

    /** The cluster's CA and certificates ({@code linden certs} layout). */
    public Path certsDir() {
        return dir.resolve("certs");
    }

    /** The cluster's CA, made on first use. */
    public CertificateAuthority authority() throws IOException {
        return CertificateAuthority.openOrCreate(certsDir(), clusterId, Duration.ofDays(365));
    }

    /** How this cluster's ordinary clients connect: TLS with a client certificate, or plain if insecure. */
    public ClientSecurity clientSecurity() throws IOException {
        if (insecure) {
            return ClientSecurity.plain();
        }
        return authority().clientSecurity();
    }

    /** How the operator's tools connect: the admin certificate (membership, leadership), or plain if insecure. */
    public ClientSecurity adminSecurity() throws IOException {
        return insecure ? ClientSecurity.plain() : authority().adminSecurity();
    }

    /** The operator's client of this cluster (every node's client port, the admin certificate). */
    public KvClient client(KvClient.Options options) throws IOException {
        return new KvClient(clientEndpoints(), options, null, adminSecurity());
    }

    /** The arguments that give node {@code id} its certificate (issued now if missing), or --insecure. */
    public List<String> securityArgs(int id) throws IOException {
        if (insecure) {
            return List.of("--insecure");
        }
        return List.of("--tls-dir", authority().issuedNodeDir(id).toString());
    }

    /** Extra arguments for every node started from now on (e.g. --snapshot-every). */
    public final List<String> nodeArgs = new ArrayList<>();

    public Path nodeDir(int id) {
        return dir.resolve("node-" + id);
    }

    /** A node added at run time joins while its data dir has no identity yet; any other follows the cluster. */
    private String initialState(int id) {
        if (joined.contains(id) && !Files.exists(nodeDir(id).resolve("wal").resolve("identity"))) {
            return "join";
        }
        return existing ? "existing" : "new";
    }

    /**
     * Asks the leader for one membership change and follows it as leadership moves (a removed leader hands
     * over first and names its successor), until the change is committed or {@code timeoutMillis} pass.
     * Returns the last answer (ok, or why not).
     */
    public Wire.MembershipResponse changeMembership(KvClient client, MembershipChange change, long timeoutMillis)
            throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        boolean add = change.kind() != MembershipChange.Kind.REMOVE;
        if (add) {
            adding.add(change.nodeId());
        }
        try {
            // The leader a majority agrees on is the first guess; the client follows redirects from there.
            int leader = awaitLeader(client, Math.min(5_000, timeoutMillis)).orElse(-1);
            long left = Math.max(1, deadline - System.currentTimeMillis());
            return client.changeMembership(leader, change, left).join();
        } finally {
            adding.remove(change.nodeId());
        }
    }

    /** Starts one node process (its JVM runs this same jar or classpath). */
    public Process startNode(int id, boolean fsync, List<String> jvmArgs) throws IOException {
        return startNode(id, fsync, jvmArgs, initialState(id));
    }

    /** Starts one node process with the given {@code --initial-cluster-state} (an operator's explicit choice). */
    public Process startNode(int id, boolean fsync, List<String> jvmArgs, String initialState) throws IOException {
        Path nd = nodeDir(id);
        Files.createDirectories(nd);
        Process p = new NodeLaunch(id, nd)
                .jvm(jvmArgs)
                .arg("--peers", peersSpec())
                .arg("--client-port", clientPort(id))
                .arg("--fsync", fsync ? "on" : "off")
                .arg("--cluster-id", clusterId)
                .arg("--initial-cluster-state", initialState)
                .args(securityArgs(id))
                .args(nodeArgs)
                .start();
        Files.writeString(nd.resolve("pid"), String.valueOf(p.pid()));
        return p;
    }

    /**
     * The node's live process. A pid file outlives a kill -9, and the pid may since belong to another
     * process: it counts only if that process is alive and runs this node's data dir.
     */
    public Optional<ProcessHandle> process(int id) {
        try {
            long pid =
                    Long.parseLong(Files.readString(nodeDir(id).resolve("pid")).trim());
            String marker = nodeDir(id).toString();
            return ProcessHandle.of(pid)
                    .filter(ProcessHandle::isAlive)
                    .filter(ph -> commandLine(ph).map(c -> c.contains(marker)).orElse(true));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static Optional<String> commandLine(ProcessHandle ph) {
        Path proc = Path.of("/proc", String.valueOf(ph.pid()), "cmdline");
        try {
            String cmd = new String(Files.readAllBytes(proc), StandardCharsets.UTF_8).replace('\0', ' ');
            // A process that is exiting (or a zombie) shows an empty command line: not evidence of another process.
            return cmd.isBlank() ? Optional.empty() : Optional.of(cmd);
        } catch (IOException e) {
            return ph.info().commandLine(); // not Linux: what the JDK can tell
        }
    }

    /** The last {@code lines} lines of a node's stdout.log (its log as the process printed it). */
    public List<String> lastLogLines(int id, int lines) {
        try {
            List<String> all = Files.readAllLines(nodeDir(id).resolve("stdout.log"));
            return all.subList(Math.max(0, all.size() - lines), all.size());
        } catch (IOException e) {
            return List.of();
        }
    }

    /**
     * The last {@code lines} lines of every node's log, each under a heading saying whether it runs (test failures).
     */
    public String logTails(int lines) {
        StringBuilder s = new StringBuilder();
        for (int i = 1; i <= nodes; i++) {
            s.append("\n--- node ")
                    .append(i)
                    .append(" (alive: ")
                    .append(process(i).isPresent())
                    .append("):\n")
                    .append(String.join("\n", lastLogLines(i, lines)));
        }
        return s.toString();
    }

    /** SIGTERM, then SIGKILL after {@code graceMillis}. */
    public boolean stopNode(int id, long graceMillis) {
        Optional<ProcessHandle> ph = process(id);
        if (ph.isEmpty()) {
            return false;
        }
        ph.get().destroy();
        try {
            ph.get().onExit().get(graceMillis, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            ph.get().destroyForcibly();
        }
        return true;
    }

    /** kill -9, and wait until the process is gone. */
    public void killNode(int id) {
        process(id).ifPresent(ph -> {
            ph.destroyForcibly();
            ph.onExit().join();
        });
    }

    /** One node's status, if it answers within 2 s. */
    public Optional<Wire.StatusResponse> status(KvClient client, int id) {
        try {
            return Optional.of(client.status(id).get(2, TimeUnit.SECONDS));
        } catch (Exception e) {
            return Optional.empty();
        }
    }

    /** Statuses of the nodes that answer, by id. */
    public Map<Integer, Wire.StatusResponse> status(KvClient client) {
        TreeMap<Integer, Wire.StatusResponse> out = new TreeMap<>();
        for (int i = 1; i <= nodes; i++) {
            try {
                out.put(i, client.status(i).get(2, TimeUnit.SECONDS));
            } catch (Exception e) {
                // not answering
            }
        }
        return out;
    }

    /** Waits until one node reports being leader and a majority agree on it. */
    public Optional<Integer> awaitLeader(KvClient client, long timeoutMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (System.currentTimeMillis() < deadline) {
            Map<Integer, Wire.StatusResponse> s = status(client);
            for (Wire.StatusResponse r : s.values()) {
                if (r.role().equals("LEADER")) {
                    long agree = s.values().stream()
                            .filter(o -> o.leaderId() == r.nodeId() && o.term() == r.term())
                            .count();
                    if (agree > (nodes - removed.size() - adding.size()) / 2) {
                        return Optional.of(r.nodeId());
                    }
                }
            }
            Thread.sleep(100);
        }
        return Optional.empty();
    }
}
