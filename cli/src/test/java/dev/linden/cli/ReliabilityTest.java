package dev.linden.cli;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.kvnode.client.KvClient;
import dev.linden.kvnode.client.RequestFailedException;
import dev.linden.kvnode.kv.KvResult;
import dev.linden.realenv.LocalCluster;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Operator-level faults on real node processes, one test per way they used to lose data or take the
 * cluster down: a node whose data dir was wiped, a follower whose WAL tail was cut, a second process on a
 * live data dir, a data dir of another cluster, memory and connection exhaustion, and what the operator
 * sees (logs, {@code cluster start}, pid files).
 */
class ReliabilityTest extends ProcessClusterFixture {
    // ------------------------------------------------------------------ finding 1

    @Test
    void aNodeWhoseDataDirWasWipedRefusesToRejoinAndTheAcknowledgedWriteSurvives() throws Exception {
        LocalCluster c = cluster("c");
        KvClient k = client(c);
        int a = leader(c, k);
        int b = a % 3 + 1;
        int cc = 6 - a - b;
        c.stopNode(cc, 10_000); // follower C misses W
        assertEquals("OK", put(k, "W", "acknowledged"));
        c.stopNode(b, 10_000);
        c.killNode(a);
        deleteTree(c.nodeDir(b));
        Process pb = c.startNode(b, true, JVM);
        c.startNode(a, true, JVM);
        c.startNode(cc, true, JVM);
        assertTrue(pb.waitFor(30, TimeUnit.SECONDS), "the wiped node must exit, not join");
        assertEquals(2, pb.exitValue());
        String log = String.join("\n", c.lastLogLines(b, 20));
        assertTrue(log.contains("lost its data") && log.contains("Recovery"), log);
        assertEquals("acknowledged", k.await(k.get("W")).value(), "an acknowledged write was lost");
    }

    // ------------------------------------------------------------------ finding 2

    @Test
    void aFollowerWithACutWalTailIsRepairedAndAForcedEmptyDirIsRefused() throws Exception {
        LocalCluster c = cluster("c");
        KvClient k = client(c);
        int leader = leader(c, k);
        for (int i = 0; i < 300; i++) {
            assertEquals("OK", put(k, "k" + i, "value-" + i + "-".repeat(40)));
        }
        int f = leader % 3 + 1;
        int other = 6 - leader - f;
        // The tail of its newest segment is cut: it comes back with less than it acknowledged, finds the cut
        // (the file is shorter than its header declares), and abstains until a leader of a later term
        // repaired it; its term moved past the loss, so the leader steps down at its first answer.
        c.stopNode(f, 10_000);
        Path seg;
        try (Stream<Path> s = Files.list(c.nodeDir(f).resolve("wal"))) {
            seg = s.filter(p -> p.toString().endsWith(".seg"))
                    .sorted()
                    .reduce((x, y) -> y)
                    .orElseThrow();
        }
        try (RandomAccessFile raf = new RandomAccessFile(seg.toFile(), "rw")) {
            raf.setLength(Files.size(seg) / 2 > 20_000 ? 20_000 : Files.size(seg) - 2_000);
        }
        c.startNode(f, true, JVM);
        await().atMost(Duration.ofSeconds(30))
                .until(() -> Files.readString(c.nodeDir(f).resolve("node.log")).contains("log repaired"));
        String fLog = String.join("\n", c.lastLogLines(f, 200));
        assertTrue(fLog.contains("event=wal-data-loss reason=segment-cut"), fLog);
        int now = leader(c, k);
        long commit = c.status(k).get(now).commitIndex();
        await().atMost(Duration.ofSeconds(30))
                .until(() -> c.status(k, f).map(s -> s.appliedIndex() >= commit).orElse(false));
        // Without the other follower, writes commit only with the repaired one.
        c.stopNode(other, 10_000);
        assertEquals("OK", put(c, k, "after-cut", "1"));
        for (int i = 0; i < 300; i += 37) {
            assertEquals("value-" + i + "-".repeat(40), k.await(k.get("k" + i)).value());
        }

        // An operator forces a wiped follower back as new: started as the layout says (existing) it refuses;
        // told the cluster is new for this one start, its peers refuse the new incarnation and it exits 2.
        c.startNode(other, true, JVM);
        c.stopNode(f, 10_000);
        deleteTree(c.nodeDir(f));
        Process refused = c.startNode(f, true, JVM);
        assertTrue(refused.waitFor(30, TimeUnit.SECONDS));
        assertEquals(2, refused.exitValue());
        Process p = startWithClusterId(c, f, "new");
        extra.add(p);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "a member bootstrapped anew must be refused by its peers");
        assertEquals(2, p.exitValue());
        assertEquals("OK", put(c, k, "after-wipe", "1"));
    }

    /** Starts node {@code id} of {@code c} with its cluster id and the given initial cluster state. */
    private Process startWithClusterId(LocalCluster c, int id, String state) throws Exception {
        return startNode(c.nodeDir(id), id, c.peersSpec(), c.clientPort(id), c.clusterId, state, c.securityArgs(id));
    }

    private static Process startNode(
            Path dataDir, int id, String peers, int clientPort, String clusterId, String state, List<String> security)
            throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m",
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                "node",
                "--id",
                String.valueOf(id),
                "--peers",
                peers,
                "--client-port",
                String.valueOf(clientPort),
                "--data-dir",
                dataDir.toString(),
                "--cluster-id",
                clusterId,
                "--initial-cluster-state",
                state));
        cmd.addAll(security);
        Files.createDirectories(dataDir);
        return new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(
                        dataDir.resolve("stdout.log").toFile()))
                .start();
    }

    // ------------------------------------------------------------------ finding 3

    @Test
    void aSecondProcessOnALiveDataDirFailsBeforeTouchingIt() throws Exception {
        LocalCluster c = cluster("c");
        KvClient k = client(c);
        leader(c, k);
        for (int i = 0; i < 200; i++) {
            put(k, "k" + i, "v" + i);
        }
        Process second = startWithClusterId(c, 2, "existing");
        extra.add(second);
        assertTrue(second.waitFor(30, TimeUnit.SECONDS));
        assertEquals(2, second.exitValue());
        String log = String.join("\n", c.lastLogLines(2, 5));
        assertTrue(log.contains("is in use by another node process"), log);
        for (int i = 200; i < 400; i++) {
            put(k, "k" + i, "v" + i);
        }
        // Every node restarts from its WAL (a truncated live segment would be refused here) and holds it all.
        for (int i = 1; i <= 3; i++) {
            c.stopNode(i, 10_000);
        }
        List<Process> restarted = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            restarted.add(c.startNode(i, true, JVM));
        }
        leader(c, k);
        for (Process p : restarted) {
            assertTrue(p.isAlive(), logs(c));
        }
        for (int i = 0; i < 400; i += 37) {
            assertEquals("v" + i, k.await(k.get("k" + i)).value());
        }
    }

    // ------------------------------------------------------------------ finding 4

    @Test
    void aDataDirOrAPeerOfAnotherClusterIsRefused() throws Exception {
        LocalCluster a = cluster("a");
        KvClient ka = client(a);
        leader(a, ka);
        put(ka, "owner", "a");
        LocalCluster b = cluster("b");
        KvClient kb = client(b);
        leader(b, kb);
        put(kb, "owner", "b");
        // A leader needs only a majority: on a loaded machine node 3 may not be up yet. Its data dir must hold
        // its identity before it is copied.
        await().atMost(Duration.ofSeconds(30))
                .until(() -> b.status(kb, 3).isPresent() && a.status(ka, 3).isPresent());
        // Node 3 of cluster A gets cluster B's node 3 data dir.
        a.stopNode(3, 10_000);
        b.stopNode(3, 10_000);
        deleteTree(a.nodeDir(3));
        Files.createDirectories(a.nodeDir(3));
        try (Stream<Path> s = Files.walk(b.nodeDir(3))) {
            for (Path src : s.toList()) {
                Path dst = a.nodeDir(3).resolve(b.nodeDir(3).relativize(src).toString());
                if (Files.isDirectory(src)) {
                    Files.createDirectories(dst);
                } else if (!src.getFileName().toString().equals("stdout.log")) {
                    Files.copy(src, dst);
                }
            }
        }
        Process p = a.startNode(3, true, JVM);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(2, p.exitValue());
        String log = String.join("\n", a.lastLogLines(3, 5));
        assertTrue(log.contains("belongs to cluster " + b.clusterId), log);
        // Cluster B's node 3, on its own data dir, pointed at cluster A's addresses: A's nodes dial it, and the
        // TLS handshake refuses them (and it them: each cluster's CA signed only its own nodes) before any
        // vote or entry crosses.
        Process intruder =
                startNode(b.nodeDir(3), 3, a.peersSpec(), a.clientPort(3), b.clusterId, "existing", b.securityArgs(3));
        extra.add(intruder);
        await().atMost(Duration.ofSeconds(20))
                .until(() -> String.join("\n", b.lastLogLines(3, 50)).contains("event=peer-connection-closed"));
        assertTrue(
                String.join("\n", b.lastLogLines(3, 50))
                        .toLowerCase(Locale.ROOT)
                        .contains("handshakeexception"), // the JDK's SSLHandshakeException or BoringSSL's
                String.join("\n", b.lastLogLines(3, 50)));
        assertEquals("a", ka.await(ka.get("owner")).value());
        assertEquals(KvResult.Status.OK, ka.await(ka.put("still", "a")).status());
        assertTrue(intruder.isAlive());
    }

    // ------------------------------------------------------------------ finding 5

    @Test
    void theQuotaRefusesWritesWithNoSpaceAndRestartsReplayWhatWasAccepted() throws Exception {
        LocalCluster c = cluster("c", "--quota-bytes", "2000000", "--max-value-bytes", "100000");
        KvClient k = client(c);
        leader(c, k);
        String value = "x".repeat(60_000);
        int accepted = 0;
        RequestFailedException noSpace = null;
        for (int i = 0; i < 100 && noSpace == null; i++) {
            try {
                k.await(k.put("big" + i, value));
                accepted++;
            } catch (RequestFailedException e) {
                noSpace = e;
            }
        }
        assertNotNull(noSpace, "the quota never refused a write");
        assertTrue(noSpace.getMessage().contains("no space"), noSpace.getMessage());
        assertTrue(accepted >= 25 && accepted <= 34, "accepted " + accepted + " values of 60 kB under a 2 MB quota");
        assertEquals(value, k.await(k.get("big0")).value(), "reads go on at the quota");
        RequestFailedException tooBig =
                assertThrows(RequestFailedException.class, () -> k.await(k.put("huge", "y".repeat(200_000))));
        assertTrue(tooBig.getMessage().contains("exceeds the limit of 100000"), tooBig.getMessage());
        // Every node restarts, replaying everything it accepted.
        for (int i = 1; i <= 3; i++) {
            c.killNode(i);
        }
        for (int i = 1; i <= 3; i++) {
            c.startNode(i, true, JVM);
        }
        leader(c, k);
        await().atMost(Duration.ofSeconds(30)).until(() -> c.status(k).size() == 3);
        assertEquals(value, k.await(k.get("big" + (accepted - 1))).value());
        k.await(k.delete("big0"));
        k.await(k.delete("big1"));
        assertEquals(KvResult.Status.OK, k.await(k.put("after-delete", value)).status(), "deletes free space");
    }

    /** A raw client-port connection speaking frames. */
    @Test
    void clusterStartReportsANodeThatExitsTheLogShowsElectionsAndAStalePidIsIgnored() throws Exception {
        Path cdir = dir.resolve("cli");
        int base = basePort();
        clusters.add(new LocalCluster(cdir, 3, base)); // for clean-up (same dirs and pids)
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream stdout = System.out;
        int first;
        try {
            System.setOut(new PrintStream(captured, true));
            first = Main.commandLine()
                    .execute("cluster", "start", "--dir", cdir.toString(), "--base-port", String.valueOf(base));
        } finally {
            System.setOut(stdout);
        }
        assertEquals(0, first, captured.toString());
        LocalCluster c = LocalCluster.open(cdir);
        clusters.set(clusters.size() - 1, c);
        KvClient k = client(c);
        int leader = leader(c, k);
        String log = Files.readString(c.nodeDir(leader).resolve("node.log"));
        assertTrue(
                log.contains("event=role-changed") && log.contains("to=LEADER") && log.contains("event=term-changed"),
                log);
        // kill -9 leaves the pid file; a live process that is not the node must not count as it.
        int victim = leader % 3 + 1;
        c.killNode(victim);
        Files.writeString(
                c.nodeDir(victim).resolve("pid"),
                String.valueOf(ProcessHandle.current().pid()));
        assertTrue(c.process(victim).isEmpty(), "a stale pid file was trusted");
        // Its data dir is wiped: `cluster start` must say it failed, with its exit code and log lines.
        deleteTree(c.nodeDir(victim).resolve("wal"));
        captured.reset();
        int second;
        try {
            System.setOut(new PrintStream(captured, true));
            second = Main.commandLine().execute("cluster", "start", "--dir", cdir.toString());
        } finally {
            System.setOut(stdout);
        }
        String out = captured.toString();
        assertEquals(1, second, out);
        assertTrue(
                out.contains("node " + victim + " FAILED to start: exited with code 2")
                        && out.contains("lost its data"),
                out);
    }
}
