package dev.linden.cli;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.kvnode.client.KvClient;
import dev.linden.kvnode.client.RequestFailedException;
import dev.linden.kvnode.kv.KvCommand;
import dev.linden.kvnode.kv.KvResult;
import dev.linden.kvnode.net.Wire;
import dev.linden.realenv.LocalCluster;
import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real node processes on loopback: elections, durability across kill -9, WAL damage, hostile input. */
class RealClusterTest {
    @TempDir
    Path dir;

    private LocalCluster cluster;
    private KvClient client;

    private void start(int nodes, String... nodeArgs) throws Exception {
        cluster = new LocalCluster(dir, nodes, ProcessClusterFixture.basePort());
        cluster.nodeArgs.addAll(List.of(nodeArgs));
        cluster.writeLayout();
        for (int i = 1; i <= nodes; i++) {
            cluster.startNode(i, true, List.of("-Xmx256m"));
        }
        client = cluster.client(new KvClient.Options(500, 8_000, 512));
        assertTrue(cluster.awaitLeader(client, 20_000).isPresent(), "no leader: " + logs());
    }

    @AfterEach
    void stopAll() {
        if (client != null) {
            client.close();
        }
        if (cluster != null) {
            for (int i = 1; i <= cluster.nodes; i++) {
                cluster.killNode(i);
            }
        }
    }

    private String logs() {
        StringBuilder b = new StringBuilder();
        for (int i = 1; cluster != null && i <= cluster.nodes; i++) {
            try {
                b.append("\n--- node ")
                        .append(i)
                        .append(":\n")
                        .append(Files.readString(cluster.nodeDir(i).resolve("stdout.log")));
            } catch (Exception e) {
                b.append("(no log)");
            }
        }
        return b.toString();
    }

    private int leader() throws InterruptedException {
        Optional<Integer> l = cluster.awaitLeader(client, 20_000);
        assertTrue(l.isPresent(), "no leader: " + logs());
        return l.get();
    }

    @Test
    void threeNodeClusterElectsAndServesReadsAndWrites() throws Exception {
        start(3);
        assertEquals(KvResult.Status.OK, client.await(client.put("a", "1")).status());
        assertEquals("1", client.await(client.get("a")).value());
        assertEquals(
                KvResult.Status.CAS_MISMATCH,
                client.await(client.cas("a", "0", "2")).status());
        assertEquals(KvResult.Status.OK, client.await(client.cas("a", "1", "2")).status());
        assertEquals("2x", client.await(client.append("a", "x")).value());
        client.await(client.delete("a"));
        assertEquals(null, client.await(client.get("a")).value());
        // Session expiry is the leader's to propose: a client that sends one is refused, with the reason.
        RuntimeException refused = org.junit.jupiter.api.Assertions.assertThrows(
                RuntimeException.class,
                () -> client.await(client.submit(KvCommand.expireSessions(Long.MAX_VALUE / 2, 1))));
        assertTrue(String.valueOf(refused.getMessage()).contains("proposed by the leader only"), refused.toString());
    }

    @Test
    void killingTheLeaderLosesNoAcknowledgedWrite() throws Exception {
        start(3);
        AckedWrites w = new AckedWrites(client, "w").start();
        await().atMost(Duration.ofSeconds(20)).until(() -> w.acked.size() > 300);
        int old = leader();
        cluster.killNode(old);
        int before = w.acked.size();
        // Generous: an election and the clients' retries, on a CI box where three node JVMs share two
        // cores with the build. Once seen to need more than 30 s there (not reproduced locally in six runs).
        await().atMost(Duration.ofSeconds(60)).until(() -> w.acked.size() > before + 300);
        w.stopAndJoin();
        assertTrue(leader() != old);
        w.assertAllPresent();
    }

    @Test
    void leadershipHandedOverUnderLoadLosesNoAcknowledgedWrite() throws Exception {
        start(3);
        AckedWrites w = new AckedWrites(client, "w").start();
        await().atMost(Duration.ofSeconds(20)).until(() -> w.acked.size() > 200);
        int old = leader();
        int target = old % 3 + 1;
        Wire.TransferResponse r = client.transferLeadership(old, target, 10_000).get();
        assertTrue(r.ok(), r.message());
        assertEquals(target, leader());
        int before = w.acked.size();
        await().atMost(Duration.ofSeconds(30)).until(() -> w.acked.size() > before + 200);
        // A node that is not another voter is refused, with the reason.
        Wire.TransferResponse refused =
                client.transferLeadership(target, 9, 10_000).get();
        assertTrue(!refused.ok() && refused.message().contains("not another voter"), refused.message());
        w.stopAndJoin();
        w.assertAllPresent();
    }

    @Test
    void aNodeThatMissedCompactedEntriesCatchesUpByASnapshot() throws Exception {
        start(3, "--snapshot-every", "300");
        int leader = leader();
        int behind = leader % 3 + 1;
        int other = 6 - leader - behind;
        cluster.killNode(behind);
        AckedWrites w = new AckedWrites(client, "w").start();
        await().atMost(Duration.ofSeconds(30)).until(() -> w.acked.size() > 2000);
        cluster.startNode(behind, true, List.of("-Xmx256m"));
        // Without the other follower, writes commit only once the restarted node has caught up, and the
        // leader has compacted the entries it missed: only a snapshot can bring it back.
        cluster.killNode(other);
        int before = w.acked.size();
        await().atMost(Duration.ofSeconds(30)).until(() -> w.acked.size() > before + 300);
        w.stopAndJoin();
        try (var files = Files.list(cluster.nodeDir(behind).resolve("wal"))) {
            assertTrue(
                    files.anyMatch(f -> f.getFileName().toString().startsWith("snap-")),
                    "the restarted node holds a snapshot");
        }
        w.assertAllPresent();
    }

    @Test
    void killingEveryNodeMidLoadKeepsEveryAcknowledgedWrite() throws Exception {
        start(3);
        AckedWrites w = new AckedWrites(client, "w").start();
        await().atMost(Duration.ofSeconds(20)).until(() -> w.acked.size() > 500);
        for (int i = 1; i <= 3; i++) {
            cluster.killNode(i);
        }
        w.stopAndJoin();
        for (int i = 1; i <= 3; i++) {
            cluster.startNode(i, true, List.of("-Xmx256m"));
        }
        leader();
        w.assertAllPresent();
    }

    @Test
    void aTornWalTailRecoversAndAFlippedBitRefusesToStart() throws Exception {
        start(3);
        for (int i = 0; i < 200; i++) {
            client.await(client.put("k" + i, "v" + i));
        }
        // Torn tail: cut the last bytes of node 3's newest segment; it must come back and catch up.
        cluster.stopNode(3, 10_000);
        Path seg = newestSegment(3);
        try (RandomAccessFile f = new RandomAccessFile(seg.toFile(), "rw")) {
            f.setLength(f.length() - 7);
        }
        cluster.startNode(3, true, List.of("-Xmx256m"));
        await().atMost(Duration.ofSeconds(20))
                .until(() -> cluster.status(client).containsKey(3)
                        && cluster.status(client).get(3).appliedIndex() >= 200);

        // A flipped bit in an old record: the node refuses to start, and says why.
        cluster.stopNode(3, 10_000);
        try (RandomAccessFile f = new RandomAccessFile(oldestSegment(3).toFile(), "rw")) {
            f.seek(8 + 25 + 3);
            int b = f.read();
            f.seek(8 + 25 + 3);
            f.write(b ^ 0x04);
        }
        Process p = cluster.startNode(3, true, List.of("-Xmx256m"));
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "a node with a corrupt WAL must exit");
        assertEquals(2, p.exitValue());
        String log = Files.readString(cluster.nodeDir(3).resolve("stdout.log"));
        assertTrue(log.contains("WAL corrupted") && log.contains("checksum mismatch"), log);
        // The other two still serve.
        assertEquals("v5", client.await(client.get("k5")).value());
    }

    private Path newestSegment(int node) throws Exception {
        try (Stream<Path> s = Files.list(cluster.nodeDir(node).resolve("wal"))) {
            return s.filter(p -> p.toString().endsWith(".seg"))
                    .sorted()
                    .reduce((a, b) -> b)
                    .orElseThrow();
        }
    }

    private Path oldestSegment(int node) throws Exception {
        try (Stream<Path> s = Files.list(cluster.nodeDir(node).resolve("wal"))) {
            return s.filter(p -> p.toString().endsWith(".seg"))
                    .sorted()
                    .findFirst()
                    .orElseThrow();
        }
    }

    @Test
    void randomGarbageOnPeerAndClientPortsNeverTakesANodeDown() throws Exception {
        start(3);
        Random r = new Random(7);
        for (int round = 0; round < 60; round++) {
            int node = 1 + r.nextInt(3);
            int port = r.nextBoolean() ? cluster.peerPort(node) : cluster.clientPort(node);
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.setSoTimeout(500);
                OutputStream out = s.getOutputStream();
                byte[] junk = new byte[1 + r.nextInt(4096)];
                r.nextBytes(junk);
                if (round % 3 == 0) {
                    // A valid header announcing a 2 GB frame: must be refused before any allocation.
                    junk = new byte[] {
                        0x4C, 0x4E, (byte) Wire.VERSION, 10, 0x7F, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 1, 2, 3
                    };
                } else if (round % 3 == 1) {
                    junk[0] = 0x4C;
                    junk[1] = 0x4E; // right magic, garbage after
                }
                out.write(junk);
                out.flush();
            } catch (IOException e) {
                // the node may close on us mid-write: that is the point
            }
        }
        for (int i = 1; i <= 3; i++) {
            assertTrue(cluster.process(i).isPresent(), "node " + i + " died: " + logs());
        }
        // Every node still answers (allowing for a moment's stall: three JVMs share two cores here).
        await().atMost(Duration.ofSeconds(10))
                .until(() -> cluster.status(client).size() == 3);
        assertEquals(
                KvResult.Status.OK, client.await(client.put("after", "garbage")).status());
        assertEquals("garbage", client.await(client.get("after")).value());
        String log = Files.readString(cluster.nodeDir(1).resolve("stdout.log"));
        assertTrue(
                log.contains("closing peer connection") || log.contains("event=client-connection-closed"),
                "bad connections are closed with a logged reason");
    }

    @Test
    void aWriteWithNoLiveNodeEndsWithinItsTimeoutAsFailedNotAsAHang() throws Exception {
        start(3);
        for (int i = 1; i <= 3; i++) {
            cluster.killNode(i);
        }
        long t0 = System.nanoTime();
        try {
            client.await(client.put("x", "y"));
            throw new AssertionError("a write with no live node cannot succeed");
        } catch (RequestFailedException expected) {
            // no attempt reached a node, so it definitely did not happen
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms < 12_000, "took " + ms + " ms");
    }
}
