package dev.linden.cli;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.kvnode.client.KvClient;
import dev.linden.kvnode.net.Wire;
import dev.linden.kvnode.raft.MembershipChange;
import dev.linden.realenv.LocalCluster;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Membership change on real node processes under load: a fourth node joins empty, catches up as a
 * learner and is promoted; an old voter is removed (a follower, then in the second test the leader,
 * which hands over first). Every acknowledged write must still be readable afterwards.
 */
class MembershipClusterTest {
    @TempDir
    Path dir;

    private LocalCluster cluster;
    private KvClient client;

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

    /** Three voters; the client knows a fourth endpoint too, where the node added later will listen. */
    private void start() throws Exception {
        cluster = new LocalCluster(dir, 3, ProcessClusterFixture.basePort());
        cluster.nodeArgs.addAll(List.of("--snapshot-every", "2000"));
        cluster.writeLayout();
        for (int i = 1; i <= 3; i++) {
            cluster.startNode(i, true, List.of("-Xmx256m"));
        }
        Map<Integer, InetSocketAddress> endpoints = new TreeMap<>(cluster.clientEndpoints());
        endpoints.put(4, new InetSocketAddress("127.0.0.1", cluster.clientPort(4)));
        client = new KvClient(endpoints, new KvClient.Options(500, 8_000, 512), null, cluster.adminSecurity());
        assertTrue(cluster.awaitLeader(client, 20_000).isPresent(), "no leader: " + logs());
    }

    private String logs() {
        StringBuilder b = new StringBuilder();
        for (int i = 1; cluster != null && i <= cluster.nodes; i++) {
            b.append("\n--- node ").append(i).append(":\n").append(String.join("\n", cluster.lastLogLines(i, 30)));
        }
        return b.toString();
    }

    private int leader() throws InterruptedException {
        Optional<Integer> l = cluster.awaitLeader(client, 20_000);
        assertTrue(l.isPresent(), "no leader: " + logs());
        return l.get();
    }

    /** Adds node 4 (started empty, joining) as a voter; returns once the change is committed. */
    private void addFourthNode() throws Exception {
        cluster.nodes = 4;
        cluster.joined.add(4);
        cluster.writeLayout();
        cluster.startNode(4, true, List.of("-Xmx256m"));
        // Asked once it serves (a loaded machine may take seconds to start a JVM): an add gives a learner that
        // never answers 10 election timeouts, and ends.
        long serving = System.currentTimeMillis() + 30_000;
        while (cluster.status(client, 4).isEmpty() && System.currentTimeMillis() < serving) {
            Thread.sleep(200);
        }
        Wire.MembershipResponse r = cluster.changeMembership(
                client, MembershipChange.addVoter(4, "127.0.0.1:" + cluster.peerPort(4)), 60_000);
        assertTrue(r.ok(), "node 4 not added: " + r.message() + logs());
        assertTrue(r.message().contains("voters=[1, 2, 3, 4]"), r.message());
    }

    private void remove(int id) throws Exception {
        Wire.MembershipResponse r = cluster.changeMembership(client, MembershipChange.remove(id), 60_000);
        assertTrue(r.ok(), "node " + id + " not removed: " + r.message() + logs());
        assertTrue(
                !r.message().contains(String.valueOf(id) + ",") && !r.message().contains(", " + id + "]"), r.message());
        cluster.removed.add(id);
        cluster.writeLayout();
        cluster.stopNode(id, 5_000);
    }

    @Test
    void aFourthNodeJoinsAndAnOldFollowerLeavesUnderLoadLosingNoAcknowledgedWrite() throws Exception {
        start();
        AckedWrites w = new AckedWrites(client, "m").start();
        await().atMost(Duration.ofSeconds(30)).until(() -> w.acked.size() > 500);
        addFourthNode();
        int leader = leader();
        int follower = leader % 3 + 1;
        remove(follower);
        int before = w.acked.size();
        await().atMost(Duration.ofSeconds(30)).until(() -> w.acked.size() > before + 300);
        w.stopAndJoin();
        w.assertAllPresent();
        // The new node holds the data: it serves as a voter of the three left.
        long commit = cluster.status(client, leader()).orElseThrow().commitIndex();
        await().atMost(Duration.ofSeconds(20))
                .until(() -> cluster.status(client, 4)
                        .map(s -> s.appliedIndex() >= commit)
                        .orElse(false));
    }

    @Test
    void removingTheLeaderHandsOverFirstAndLosesNoAcknowledgedWrite() throws Exception {
        start();
        AckedWrites w = new AckedWrites(client, "m").start();
        await().atMost(Duration.ofSeconds(30)).until(() -> w.acked.size() > 500);
        addFourthNode();
        int old = leader();
        remove(old);
        int now = leader();
        assertNotEquals(old, now);
        int before = w.acked.size();
        await().atMost(Duration.ofSeconds(30)).until(() -> w.acked.size() > before + 300);
        w.stopAndJoin();
        w.assertAllPresent();
        String oldLog = String.join("\n", cluster.lastLogLines(old, 400));
        assertTrue(oldLog.contains("hands over"), "the removed leader's log shows the hand-over:\n" + oldLog);
    }
}
