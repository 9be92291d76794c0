package dev.linden.cli;

import dev.linden.kvnode.client.KvClient;
import dev.linden.realenv.LocalCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * A three-node cluster of real node processes per test, in the test's temporary directory, with clients, and
 * everything the test started killed after it: the fixture of the reliability tests.
 */
abstract class ProcessClusterFixture {
    static final List<String> JVM = List.of("-Xmx256m");

    @TempDir
    Path dir;

    final List<LocalCluster> clusters = new ArrayList<>();
    final List<Process> extra = new ArrayList<>();
    final List<KvClient> clients = new ArrayList<>();

    /**
     * A base port for a test's local cluster (nodes at base + id, clients at base + 100 + id), all below Linux's
     * ephemeral range (32768 and up): a port in that range may be taken by any outgoing connection on the machine
     * between the pick and a node's start (CI saw node 4 of a membership test refused "Address already in use" at
     * 36354). Bases 200 apart, from a random start, in turn: drawn at random 50 apart, two clusters of one test
     * met one time in 80 (a base 100 above another puts its nodes on the other's client ports; CI saw all three
     * nodes of a test's second cluster refused "Address already in use").
     */
    static int basePort() {
        return 20_000 + Math.floorMod(NEXT_BASE.getAndIncrement(), BASES) * 200;
    }

    private static final int BASES = 60;
    private static final AtomicInteger NEXT_BASE =
            new AtomicInteger(ThreadLocalRandom.current().nextInt(BASES));

    LocalCluster cluster(String name, String... nodeArgs) throws Exception {
        return cluster(name, false, nodeArgs);
    }

    /** With {@code insecure}: no TLS, for the tests that write raw frames to the client port. */
    LocalCluster cluster(String name, boolean insecure, String... nodeArgs) throws Exception {
        LocalCluster c = new LocalCluster(dir.resolve(name), 3, basePort()).insecure(insecure);
        c.nodeArgs.addAll(List.of(nodeArgs));
        c.writeLayout();
        clusters.add(c);
        for (int i = 1; i <= 3; i++) {
            c.startNode(i, true, JVM);
        }
        c.markExisting(); // bootstrapped, as `cluster start` records it
        return c;
    }

    /** Generous request timeouts: these tests are about data, not latency, and CI machines stall. */
    KvClient client(LocalCluster c) throws IOException {
        KvClient k = c.client(new KvClient.Options(500, 20_000, 256));
        clients.add(k);
        return k;
    }

    int leader(LocalCluster c, KvClient k) throws InterruptedException {
        return c.awaitLeader(k, 30_000).orElseThrow(() -> new AssertionError("no leader: " + logs(c)));
    }

    @AfterEach
    void cleanUp() {
        clients.forEach(KvClient::close);
        extra.forEach(p -> {
            p.destroyForcibly();
            p.onExit().join();
        });
        for (LocalCluster c : clusters) {
            for (int i = 1; i <= c.nodes; i++) {
                c.killNode(i);
            }
        }
    }

    static String logs(LocalCluster c) {
        StringBuilder b = new StringBuilder();
        for (int i = 1; i <= c.nodes; i++) {
            b.append("\n--- node ").append(i).append(":\n").append(String.join("\n", c.lastLogLines(i, 30)));
        }
        return b.toString();
    }

    static void deleteTree(Path p) throws Exception {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    static String put(KvClient k, String key, String value) {
        return k.await(k.put(key, value)).status().name();
    }

    /** A put whose failure shows the nodes' last log lines (a cluster that stopped serving says why). */
    static String put(LocalCluster c, KvClient k, String key, String value) {
        try {
            return put(k, key, value);
        } catch (RuntimeException e) {
            throw new AssertionError(e.getMessage() + logs(c), e);
        }
    }
}
