package dev.linden.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.kvnode.client.KvClient;
import dev.linden.kvnode.net.Wire;
import dev.linden.kvnode.raft.MembershipChange;
import dev.linden.kvnode.tls.TlsFiles;
import dev.linden.realenv.LocalCluster;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Operator mistakes on real node processes, each answered at once or within the stated bound (README:
 * a membership request ends within 30 s; a learner that does not answer within 10 s is taken out again),
 * with the reason, and never applied later. Each test names the mistake it makes.
 */
class MembershipRequestsEndTest {
    /** A request must end within the node's bound (30 s) plus what a client needs to hear the answer. */
    private static final long REQUEST_BOUND_MILLIS = 35_000;

    @TempDir
    Path dir;

    private final List<LocalCluster> clusters = new ArrayList<>();
    private KvClient client;

    @AfterEach
    void stopAll() {
        if (client != null) {
            client.close();
        }
        for (LocalCluster c : clusters) {
            for (int i = 1; i <= c.nodes; i++) {
                c.killNode(i);
            }
        }
    }

    private LocalCluster start(int nodes) throws Exception {
        return start(nodes, false);
    }

    private LocalCluster start(int nodes, boolean insecure) throws Exception {
        LocalCluster c = new LocalCluster(dir, nodes, ProcessClusterFixture.basePort()).insecure(insecure);
        clusters.add(c);
        c.writeLayout();
        for (int i = 1; i <= nodes; i++) {
            c.startNode(i, false, List.of("-Xmx192m"));
        }
        client = c.client(new KvClient.Options(500, 8_000, 64));
        assertTrue(c.awaitLeader(client, 20_000).isPresent(), "no leader: " + logs(c));
        return c;
    }

    private static String logs(LocalCluster c) {
        StringBuilder b = new StringBuilder();
        for (int i = 1; i <= c.nodes; i++) {
            b.append("\n--- node ").append(i).append(":\n").append(String.join("\n", c.lastLogLines(i, 25)));
        }
        return b.toString();
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort(); // closed again: nothing listens there
        }
    }

    private static long millisSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    @Test
    void anAddOfANodeWhereNothingListensIsRefusedAsUnreachableWithinTheBound() throws Exception {
        LocalCluster c = start(3);
        long t0 = System.nanoTime();
        Wire.MembershipResponse r =
                c.changeMembership(client, MembershipChange.addVoter(7, "127.0.0.1:" + freePort()), 60_000);
        long took = millisSince(t0);
        assertFalse(r.ok(), r.message());
        assertTrue(r.message().contains("unreachable"), r.message());
        assertTrue(took < REQUEST_BOUND_MILLIS, "took " + took + " ms: " + r.message());
        // The learner was taken out again: the committed configuration has three voters and no learner.
        Wire.MembershipResponse now = c.changeMembership(client, MembershipChange.remove(7), 10_000);
        assertTrue(now.ok() && now.message().contains("voters=[1, 2, 3] removed=[7]"), now.message());
    }

    @Test
    void aRemoveOfANodeWhoseAddIsPendingEndsTheAddAndTheNodeIsNeverAddedAgain() throws Exception {
        LocalCluster c = start(3);
        CompletableFuture<Wire.MembershipResponse> add = CompletableFuture.supplyAsync(() -> {
            try {
                return c.changeMembership(client, MembershipChange.addVoter(9, "127.0.0.1:" + freePort()), 60_000);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(2_500); // the add is pending: node 9 is a learner that never answers
        Wire.MembershipResponse removed = c.changeMembership(client, MembershipChange.remove(9), 20_000);
        assertTrue(removed.ok(), removed.message() + logs(c));
        Wire.MembershipResponse added = add.get(REQUEST_BOUND_MILLIS, TimeUnit.MILLISECONDS);
        assertFalse(added.ok(), added.message());
        Thread.sleep(3_000); // time for a wrongly retried add to be proposed again
        for (int i = 1; i <= 3; i++) {
            String log = String.join("\n", c.lastLogLines(i, 400));
            int removal = log.lastIndexOf("(remove 9");
            assertTrue(
                    removal < 0 || !log.substring(removal).contains("(add-voter 9"),
                    "node 9 proposed again after its removal:\n" + log);
        }
    }

    @Test
    void removingTheLastVoterIsRefusedAtOnceWithTheReason() throws Exception {
        LocalCluster c = start(1);
        long t0 = System.nanoTime();
        Wire.MembershipResponse r = c.changeMembership(client, MembershipChange.remove(1), 60_000);
        long took = millisSince(t0);
        assertFalse(r.ok(), r.message());
        assertTrue(r.message().contains("last voter"), r.message());
        assertTrue(took < 5_000, "took " + took + " ms: " + r.message());
    }

    @Test
    void aJoinWithTheWrongClusterIdFailsTheAddWithTheReason() throws Exception {
        // Without TLS (with it, another cluster's node fails the handshake before any hello): the cluster id
        // is then what keeps clusters apart.
        LocalCluster c = start(3, true);
        c.nodes = 4;
        c.joined.add(4);
        c.writeLayout();
        // The same layout under another cluster id: node 4 is started as a member of another cluster.
        LocalCluster other = LocalCluster.withClusterId(dir, 4, c.basePort, "another-cluster")
                .insecure(true);
        other.joined.add(4);
        other.startNode(4, false, List.of("-Xmx192m"));
        long t0 = System.nanoTime();
        Wire.MembershipResponse r =
                c.changeMembership(client, MembershipChange.addVoter(4, "127.0.0.1:" + c.peerPort(4)), 60_000);
        long took = millisSince(t0);
        assertFalse(r.ok(), r.message());
        assertTrue(r.message().contains("wrong cluster"), r.message() + logs(c));
        assertTrue(took < REQUEST_BOUND_MILLIS, "took " + took + " ms: " + r.message());
    }

    @Test
    void theIdOfARemovedNodeIsRefusedWhenAddedAgain() throws Exception {
        LocalCluster c = start(3);
        int leader = c.awaitLeader(client, 10_000).orElseThrow();
        int follower = leader % 3 + 1;
        Wire.MembershipResponse gone = c.changeMembership(client, MembershipChange.remove(follower), 30_000);
        assertTrue(gone.ok(), gone.message() + logs(c));
        // The removed node still runs with its data: adding its id again must be refused all the same.
        long t0 = System.nanoTime();
        Wire.MembershipResponse again = c.changeMembership(
                client, MembershipChange.addVoter(follower, "127.0.0.1:" + c.peerPort(follower)), 30_000);
        long took = millisSince(t0);
        assertFalse(again.ok(), again.message());
        assertTrue(again.message().contains("was removed"), again.message());
        assertTrue(took < 5_000, "took " + took + " ms: " + again.message());
    }

    @Test
    void aNodeThatHearsFromNoPeerAtStartSaysWhyOnce() throws Exception {
        LocalCluster c = new LocalCluster(dir, 3, ProcessClusterFixture.basePort());
        clusters.add(c);
        c.writeLayout();
        c.startNode(1, false, List.of("-Xmx192m")); // nodes 2 and 3 never start
        long deadline = System.currentTimeMillis() + 20_000;
        List<String> warnings = List.of();
        while (System.currentTimeMillis() < deadline && warnings.isEmpty()) {
            Thread.sleep(250);
            warnings = c.lastLogLines(1, 200).stream()
                    .filter(l -> l.contains("event=isolated"))
                    .toList();
        }
        assertEquals(1, warnings.size(), "one warning that says why node 1 is alone:\n" + logs(c));
        assertTrue(warnings.get(0).contains("WARN") && warnings.get(0).contains("no peer answered"), warnings.get(0));
        Thread.sleep(4_000);
        long count = c.lastLogLines(1, 400).stream()
                .filter(l -> l.contains("event=isolated"))
                .count();
        assertEquals(1, count, "said once:\n" + logs(c));
    }

    @Test
    void aKvPutWithAKeyOverTheLimitFailsAtOnceWithOneLineAndExit3() throws Exception {
        LocalCluster c = start(1);
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int exit;
        long t0 = System.nanoTime();
        try (PrintStream p = new PrintStream(captured, true, StandardCharsets.UTF_8)) {
            System.setOut(p);
            System.setErr(p);
            TlsFiles mine = c.authority().issueClient("client");
            exit = new CommandLine(new KvCliCommand())
                    .execute(
                            "--endpoints",
                            c.clientEndpointsSpec(),
                            "--cacert",
                            mine.trustedCaFile().toString(),
                            "--cert",
                            mine.certFile().toString(),
                            "--key",
                            mine.keyFile().toString(),
                            "put",
                            "k".repeat(1025),
                            "v");
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        long took = millisSince(t0);
        String printed = captured.toString(StandardCharsets.UTF_8).strip();
        assertEquals(3, exit, printed);
        assertTrue(took < 3_000, "took " + took + " ms");
        assertEquals(1, printed.lines().count(), printed);
        assertTrue(printed.contains("1025") && printed.contains("1024"), printed);
    }
}
