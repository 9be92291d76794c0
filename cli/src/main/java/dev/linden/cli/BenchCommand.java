package dev.linden.cli;

import dev.linden.kvnode.client.KvClient;
import dev.linden.kvnode.kv.KvResult;
import dev.linden.kvnode.node.NodeConfig;
import dev.linden.kvnode.server.KvNodeServer;
import dev.linden.kvnode.server.NodeCommand;
import dev.linden.kvnode.service.KvLimits;
import dev.linden.kvnode.tls.ClientSecurity;
import dev.linden.kvnode.tls.NodeSecurity;
import dev.linden.kvnode.tls.TlsFiles;
import dev.linden.realenv.LocalCluster;
import dev.linden.realenv.NodeLaunch;
import io.netty.channel.nio.NioEventLoopGroup;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./linden bench}: closed-loop write benchmark. C client sessions each keep K puts in flight for
 * the duration; prints throughput and latency percentiles, and last the line
 * {@code throughput: <ops/s> p99: <ms>}.
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
            names = "--events",
            description = "on (default) or off: the local nodes' event stream for safety monitors (for A/B runs)")
    String events = "on";

    @Option(names = "--node-heap", description = "heap of each local node JVM (default 1g)")
    String nodeHeap = "1g";

    /** Latency samples kept (bounded memory); beyond it, samples are reservoir-sampled. */
    static final int MAX_SAMPLES = 4_000_000;

    private Path benchDir;
    private String finalLine;

    @Override
    public Integer call() throws Exception {
        if (clients < 1 || inflight < 1 || inflight > 4096 || valueSize < 1 || keys < 1 || duration <= 0) {
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
            int result = run(sessions);
            return Math.max(result, checkNodes(cluster, sessions.get(0), termsBefore));
        } finally {
            sessions.forEach(KvClient::close);
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            servers.forEach(KvNodeServer::close);
            if (cluster != null && servers.isEmpty()) {
                for (int i = 1; i <= nodes; i++) {
                    cluster.stopNode(i, 5_000);
                }
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
        LocalCluster cluster;
        Path dir = Files.createTempDirectory("linden-bench");
        cluster = new LocalCluster(
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
                events));
        for (int i = 1; i <= nodes; i++) {
            // Several JVMs share few cores here: one GC thread each and a roomy young generation keep
            // collector threads from fighting over the cores (measured: young pauses 25-270 ms otherwise).
            // A fixed, pre-touched heap: otherwise the first collections into untouched memory page-fault
            // their way through it (pauses of 100-300 ms measured here, against 5-10 ms once touched).
            List<String> jvm = new ArrayList<>(
                    NodeLaunch.memoryFlags(nodeHeap, KvLimits.defaults().quotaBytes(), 256L << 20));
            jvm.addAll(List.of(
                    "-Xms" + nodeHeap,
                    "-XX:+AlwaysPreTouch",
                    "-XX:+UseParallelGC",
                    "-XX:ParallelGCThreads=1",
                    "-Xmn400m"));
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

    private int run(List<KvClient> sessions) throws InterruptedException {
        byte[] raw = new byte[valueSize];
        Arrays.fill(raw, (byte) 'v');
        String value = new String(raw, StandardCharsets.US_ASCII);
        long start = System.nanoTime();
        long measureFrom = start + (long) (warmup * 1e9);
        long end = measureFrom + (long) (duration * 1e9);
        AtomicLong ok = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        long[] samples = new long[MAX_SAMPLES];
        AtomicInteger sampleCount = new AtomicInteger();
        AtomicLong seen = new AtomicLong();
        CountDownLatch done = new CountDownLatch(sessions.size() * inflight);
        for (int c = 0; c < sessions.size(); c++) {
            KvClient client = sessions.get(c);
            for (int k = 0; k < inflight; k++) {
                SplittableRandom r = new SplittableRandom(c * 100_000L + k);
                new Object() {
                    void next() {
                        long now = System.nanoTime();
                        if (now >= end) {
                            done.countDown();
                            return;
                        }
                        client.put("key-" + r.nextInt(keys), value).whenComplete((res, err) -> {
                            long t = System.nanoTime();
                            boolean failed = err != null || res.status() != KvResult.Status.OK;
                            if (failed && t >= measureFrom) {
                                errors.incrementAndGet(); // also after the window: a dying cluster fails late
                            } else if (!failed && t >= measureFrom && t < end) {
                                ok.incrementAndGet();
                                long n = seen.incrementAndGet();
                                int i = sampleCount.get();
                                if (i < MAX_SAMPLES && sampleCount.compareAndSet(i, i + 1)) {
                                    samples[i] = t - now;
                                } else if (r.nextLong(n) < MAX_SAMPLES) {
                                    samples[(int) r.nextLong(MAX_SAMPLES)] = t - now;
                                }
                            }
                            next();
                        });
                    }
                }.next();
            }
        }
        if (!done.await(Math.round(warmup + duration + 30), TimeUnit.SECONDS)) {
            errors.addAndGet(done.getCount()); // requests that never completed
        }
        int n = Math.min(sampleCount.get(), MAX_SAMPLES);
        long[] lat = Arrays.copyOf(samples, n);
        Arrays.sort(lat);
        double seconds = duration;
        double throughput = ok.get() / seconds;
        System.out.printf(
                "writes: %d ok, %d errors in %.1f s (%d clients x %d in flight, %d-byte values, %d keys)%n",
                ok.get(), errors.get(), seconds, sessions.size(), inflight, valueSize, keys);
        System.out.printf(
                "latency ms: p50 %.2f  p99 %.2f  p999 %.2f  max %.2f%n",
                pct(lat, 0.50), pct(lat, 0.99), pct(lat, 0.999), n == 0 ? 0 : lat[n - 1] / 1e6);
        // Printed by call() after the cluster is shut down, so it stays the last line (nodes in this
        // process report at shutdown).
        finalLine = String.format("throughput: %.0f p99: %.2f", throughput, pct(lat, 0.99));
        return ok.get() > 0 ? 0 : 1;
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
