package dev.linden.cli;

import dev.linden.kvnode.client.KvClient;
import dev.linden.kvnode.node.NodeConfig;
import dev.linden.kvnode.server.KvNodeServer;
import dev.linden.kvnode.server.NodeCommand;
import dev.linden.kvnode.service.KvLimits;
import dev.linden.kvnode.tls.ClientSecurity;
import dev.linden.kvnode.tls.NodeSecurity;
import dev.linden.kvnode.tls.TlsFiles;
import dev.linden.realenv.JvmGcPauses;
import dev.linden.realenv.LocalCluster;
import dev.linden.realenv.NodeLaunch;
import dev.linden.realenv.NodeReports;
import dev.linden.realenv.WriteLoad;
import io.netty.channel.nio.NioEventLoopGroup;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./linden bench}: write benchmark. C client sessions each keep up to K puts in flight for the
 * duration, closed-loop (as many as they take) or open-loop at a rate ({@code --rate}, and {@code --loads}
 * at shares of the closed-loop maximum); prints throughput, latency percentiles and the writes still open when
 * the window closed (never counted as errors), and last the line {@code throughput: <ops/s> p99: <ms>}.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmark writes against a cluster.")
public final class BenchCommand implements Callable<Integer> {
    @Option(names = "--nodes", description = "nodes of the local cluster to start (default 3)")
    int nodes = 3;

    @Option(names = "--clients", description = "client sessions (default 16)")
    int clients = 16;

    @Option(names = "--inflight", description = "requests in flight per client (default 64)")
    int inflight = 64;

    @Option(names = "--value-size", description = "bytes per value (default 256)")
    int valueSize = 256;

    @Option(names = "--keys", description = "distinct keys (default 100000)")
    int keys = 100_000;

    @Option(names = "--duration", description = "measured seconds (default 10)")
    double duration = 10;

    @Option(names = "--warmup", description = "seconds before measuring, for the JIT of every JVM (default 10)")
    double warmup = 10;

    @Option(names = "--fsync", description = "on (default) or off, for the local cluster")
    String fsync = "on";

    @Option(names = "--endpoints", description = "use a running cluster instead: 1=host:port,...")
    String endpoints;

    @Option(names = "--snapshot-every", description = "entries between snapshots on the local cluster's nodes")
    Long snapshotEvery;

    @Option(names = "--keep", description = "keep the local cluster's directory (WALs, logs) after the run")
    boolean keep;

    @Option(
            names = "--in-process",
            description = "run the local cluster's nodes inside this JVM (each with its "
                    + "own threads, WAL directory and loopback TCP ports), as Dongting's benchmark does; default: one "
                    + "process per node")
    boolean inProcess;

    @Option(names = "--election-timeout-ms", description = "the local nodes' base election timeout (default 1000)")
    long electionTimeoutMillis = NodeCommand.DEFAULT_ELECTION_TIMEOUT_MILLIS;

    @Option(names = "--heartbeat-ms", description = "the local nodes' heartbeat interval (default 100)")
    long heartbeatMillis = NodeCommand.DEFAULT_HEARTBEAT_MILLIS;

    @Option(
            names = "--insecure",
            description = "no TLS between the local nodes and to clients (default: mutual TLS "
                    + "between nodes, client certificates, as `cluster start`); with --endpoints: plain connections")
    boolean insecure;

    @Option(
            names = "--rate",
            description = "open loop: offer this many writes per second, each timed from when it was due "
                    + "(no coordinated omission); default: closed loop, as many as the clients' slots take")
    double rate;

    @Option(
            names = "--loads",
            split = ",",
            description = "after the closed loop, open loops at these percentages of its throughput, "
                    + "e.g. 20,50,80: latency at fixed offered loads")
    List<Integer> loads = new ArrayList<>();

    @Option(
            names = "--events",
            description = "on (default) or off: the local nodes' event stream for safety monitors (for A/B runs)")
    String events = "on";

    @Option(
            names = "--workload",
            description = "put (default), txn (a compare and that put in one transaction) or range (a prefix of"
                    + " about ten keys, read by ReadIndex, after a warmup of puts)")
    String workload = "put";

    private static final Map<String, String> NOUNS = Map.of("put", "writes", "txn", "transactions", "range", "ranges");

    @Option(names = "--node-heap", description = "heap of each local node JVM (default 1g)")
    String nodeHeap = "1g";

    private Path benchDir;
    /** Each measured window by what it measured, for the nodes' own times inside it after the run. */
    private final Map<String, WriteLoad.Result> windows = new LinkedHashMap<>();

    private String finalLine;

    @Override
    public Integer call() throws Exception {
        JvmGcPauses clientGc = JvmGcPauses.start();
        if (clients < 1
                || inflight < 1
                || inflight > 4096
                || valueSize < 1
                || keys < 1
                || duration <= 0
                || rate < 0
                || !NOUNS.containsKey(workload)
                || loads.stream().anyMatch(p -> p < 1 || p > 100)) {
            System.err.println("linden bench: bad options");
            return 3;
        }
        LocalCluster cluster = null;
        List<KvNodeServer> servers = new ArrayList<>();
        Map<Integer, InetSocketAddress> eps;
        if (endpoints != null) {
            eps = KvClient.parseEndpoints(endpoints);
        } else if (inProcess) {
            cluster = startInProcess(servers);
            eps = cluster.clientEndpoints();
        } else {
            cluster = startProcesses();
            eps = cluster.clientEndpoints();
        }
        ClientSecurity security = cluster != null ? cluster.clientSecurity() : ClientSecurity.plain();
        System.out.println(
                security.isTls() ? "TLS: mutual between nodes, client certificates to clients" : "no TLS (--insecure)");
        NioEventLoopGroup group = new NioEventLoopGroup(2);
        List<KvClient> sessions = new ArrayList<>();
        try {
            for (int i = 0; i < clients; i++) {
                sessions.add(new KvClient(eps, new KvClient.Options(2_000, 10_000, inflight), group, security));
            }
            if (cluster != null) {
                Optional<Integer> leader = cluster.awaitLeader(sessions.get(0), 20_000);
                if (leader.isEmpty()) {
                    System.err.println("linden bench: no leader within 20 s");
                    return 3;
                }
                System.out.println("leader: node " + leader.get());
            }
            Map<Integer, Long> termsBefore = terms(cluster, sessions.get(0));
            int result = run(sessions, cluster);
            return Math.max(result, checkNodes(cluster, sessions.get(0), termsBefore));
        } finally {
            sessions.forEach(KvClient::close);
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            servers.forEach(KvNodeServer::close);
            if (cluster != null && servers.isEmpty()) {
                for (int i = 1; i <= nodes; i++) {
                    cluster.stopNode(i, 5_000);
                }
                NodeReports.print(cluster, nodes, benchDir, windows, clientGc, System.out);
            }
            if (benchDir != null && !keep) {
                deleteTree(benchDir); // WALs and snapshots of a benchmark run are gigabytes of nothing
            }
            if (finalLine != null) {
                System.out.println(finalLine);
            }
        }
    }

    /** The nodes as servers inside this JVM (each with its own threads, WAL directory and loopback ports). */
    private LocalCluster startInProcess(List<KvNodeServer> servers) throws Exception {
        LocalCluster cluster;
        Path dir = Files.createTempDirectory("linden-bench");
        cluster = LocalCluster.withClusterId(
                        dir, nodes, 17_000 + (int) (ProcessHandle.current().pid() % 1000) * 10, "local")
                .insecure(insecure); // the in-process nodes' cluster id
        Logger.getLogger("dev.linden").setLevel(Level.WARNING);
        Map<Integer, InetSocketAddress> peers = KvClient.parseEndpoints(cluster.peersSpec());
        NodeConfig config = NodeCommand.nodeConfig(snapshotEvery, electionTimeoutMillis, heartbeatMillis);
        for (int i = 1; i <= nodes; i++) {
            KvNodeServer server = new KvNodeServer(new KvNodeServer.Options(
                    i,
                    peers,
                    new InetSocketAddress("127.0.0.1", cluster.clientPort(i)),
                    cluster.nodeDir(i),
                    !"off".equals(fsync),
                    config));
            server.recordEvents(!"off".equals(events));
            if (insecure) {
                server.secure(NodeSecurity.insecure());
            } else {
                TlsFiles files = cluster.authority().issueNode(i);
                server.secure(NodeSecurity.mutualTls("local", i, files, files, true));
            }
            server.start();
            servers.add(server);
        }
        System.out.println("started " + nodes + " nodes in this process in " + dir + " (fsync " + fsync + ")");
        benchDir = dir;
        return cluster;
    }

    /** The nodes as processes of their own, with the JVM flags measured to keep GC pauses short here. */
    private LocalCluster startProcesses() throws Exception {
        Path dir = Files.createTempDirectory("linden-bench");
        LocalCluster cluster = new LocalCluster(
                        dir, nodes, 17_000 + (int) (ProcessHandle.current().pid() % 1000) * 10)
                .insecure(insecure);
        cluster.writeLayout();
        if (snapshotEvery != null) {
            cluster.nodeArgs.addAll(List.of("--snapshot-every", String.valueOf(snapshotEvery)));
        }
        cluster.nodeArgs.addAll(List.of(
                "--election-timeout-ms",
                String.valueOf(electionTimeoutMillis),
                "--heartbeat-ms",
                String.valueOf(heartbeatMillis),
                "--events",
                events,
                "--test-only-times-log-ms",
                "1000",
                "--exit-with-parent", // a bench killed by a signal leaves no node behind
                String.valueOf(ProcessHandle.current().pid())));
        for (int i = 1; i <= nodes; i++) {
            List<String> jvm = new ArrayList<>(
                    NodeLaunch.memoryFlags(nodeHeap, KvLimits.defaults().quotaBytes(), 256L << 20));
            jvm.addAll(NodeLaunch.shortPauseFlags(nodeHeap, dir.resolve("gc-" + i + ".log")));
            cluster.startNode(i, !"off".equals(fsync), jvm);
        }
        System.out.println("started " + nodes + " node processes in " + dir + " (fsync " + fsync + ")");
        benchDir = dir;
        return cluster;
    }

    /** Each answering node's term (for term churn), or nothing for given endpoints. */
    private static Map<Integer, Long> terms(LocalCluster cluster, KvClient client) {
        Map<Integer, Long> out = new TreeMap<>();
        if (cluster != null) {
            cluster.status(client).forEach((id, s) -> out.put(id, s.term()));
        }
        return out;
    }

    /**
     * After the run: every node of the local cluster must still be alive and answering (a run whose nodes died
     * is a failed run, whatever its counters say), and the term churn is printed: elections without faults
     * mean the timeouts are too tight for the machine.
     */
    private int checkNodes(LocalCluster cluster, KvClient client, Map<Integer, Long> termsBefore) {
        if (cluster == null) {
            return 0;
        }
        Map<Integer, Long> termsAfter = terms(cluster, client);
        int dead = 0;
        for (int i = 1; i <= nodes; i++) {
            boolean alive = inProcess || cluster.process(i).isPresent();
            if (!alive || !termsAfter.containsKey(i)) {
                dead++;
                System.out.println(
                        "node " + i + (alive ? " is not answering" : " DIED during the run") + "; last lines:");
                cluster.lastLogLines(i, 5).forEach(l -> System.out.println("    " + l));
            }
        }
        long before =
                termsBefore.values().stream().mapToLong(Long::longValue).max().orElse(0);
        long after =
                termsAfter.values().stream().mapToLong(Long::longValue).max().orElse(0);
        System.out.printf(
                "nodes: %d of %d answering; term %d -> %d (%d elections during the run)%n",
                nodes - dead, nodes, before, after, after - before);
        return dead == 0 ? 0 : 1;
    }

    private int run(List<KvClient> sessions, LocalCluster cluster) throws InterruptedException {
        LongSupplier cpu = () -> cpuNanos(cluster);
        WriteLoad.Result closed = null;
        if (rate == 0 || !loads.isEmpty()) {
            closed = WriteLoad.run(sessions, options(0), cpu);
            print("closed loop", sessions.size(), closed);
        }
        WriteLoad.Result last = closed;
        if (rate > 0) {
            last = WriteLoad.run(sessions, options(rate), cpu);
            print(String.format("open loop at %.0f/s", rate), sessions.size(), last);
        }
        for (int percent : loads) {
            double offered = closed.throughput() * percent / 100.0;
            if (offered < 1) {
                System.out.printf("open loop at %d%% of the closed-loop maximum: nothing to offer%n", percent);
                continue;
            }
            WriteLoad.Result r = WriteLoad.run(sessions, options(offered).withoutWarmup(), cpu);
            print(
                    String.format("open loop at %d%% of the closed-loop maximum (%.0f/s)", percent, offered),
                    sessions.size(),
                    r);
        }
        // Printed by call() after the cluster is shut down, so it stays the last line (nodes in this
        // process report at shutdown).
        finalLine = String.format("throughput: %.0f p99: %.2f", last.throughput(), last.percentileMillis(99));
        return last.ok() > 0 ? 0 : 1;
    }

    /**
     * CPU time so far of this process (the client, and the nodes if in process) and of the local cluster's node
     * processes: what a write costs, all replicas and the client together.
     */
    private long cpuNanos(LocalCluster cluster) {
        long total = cpuOf(ProcessHandle.current());
        if (cluster != null && !inProcess) {
            for (int i = 1; i <= nodes; i++) {
                total += cluster.process(i).map(BenchCommand::cpuOf).orElse(0L);
            }
        }
        return total;
    }

    private static long cpuOf(ProcessHandle p) {
        return p.info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
    }

    private WriteLoad.Options options(double ratePerSecond) {
        return new WriteLoad.Options(
                inflight, valueSize, keys, warmup, duration, ratePerSecond, WriteLoad.Op.parse(workload));
    }

    private void print(String what, int sessionCount, WriteLoad.Result r) {
        windows.put(what, r);
        System.out.printf(
                "%s: %s: %d ok, %d errors in %.1f s (%d clients x %d in flight, %d-byte values, %d keys)%n",
                what, NOUNS.get(workload), r.ok(), r.failed(), duration, sessionCount, inflight, valueSize, keys);
        System.out.printf(
                "  latency ms: p50 %.2f  p99 %.2f  p999 %.2f  max %.2f%s%n",
                r.percentileMillis(50),
                r.percentileMillis(99),
                r.percentileMillis(99.9),
                r.maxMillis(),
                r.options().ratePerSecond() > 0
                        ? " (from each write's due time: no coordinated omission)"
                        : String.format(
                                "; corrected for coordinated omission: p99 %.2f  p999 %.2f",
                                r.correctedPercentileMillis(99), r.correctedPercentileMillis(99.9)));
        System.out.printf(
                "  unfinished at the window's end: %d (ok later %d, still open after %d s %d)%s%n",
                r.unfinished(),
                r.unfinishedOkLater(),
                WriteLoad.GRACE_MILLIS / 1000,
                r.unfinishedNever(),
                r.refused() > 0 ? "; not offered, the backlog full: " + r.refused() : "");
        if (endpoints == null) {
            System.out.printf(
                    "  cpu per write: %.1f us (%s and the client, over the window)%n",
                    r.cpuMicrosPerWrite(),
                    inProcess ? "the nodes in this process" : "the " + nodes + " node processes");
        }
    }

    private static void deleteTree(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("linden bench: could not remove " + dir + ": " + e.getMessage());
        }
    }

    private static double pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.floor(p * sorted.length))] / 1e6;
    }
}
