package dev.linden.cli;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.kvnode.client.KvClient;
import dev.linden.kvnode.net.Wire;
import dev.linden.realenv.LocalCluster;
import dev.linden.realenv.NodeLaunch;
import io.netty.channel.nio.NioEventLoopGroup;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 24's finding 3 on real node processes, scaled down: strangers on the peer and client ports (idle
 * connections by the thousand, large frames half-sent, more idle clients than the port holds) must not
 * take the cluster down, keep a restarted follower from catching up, or keep a new client from writing.
 * Loopback only; every loop bounded; every socket closed, also on failure.
 */
class PortAttackTest {
    private static final List<String> JVM = List.of("-Xmx256m");

    @TempDir
    Path dir;

    private LocalCluster cluster;
    private final List<KvClient> clients = new ArrayList<>();
    private final List<Socket> sockets = new ArrayList<>();

    private static int basePort() {
        return ProcessClusterFixture.basePort();
    }

    private LocalCluster cluster(List<String> jvm, String... nodeArgs) throws Exception {
        LocalCluster c = new LocalCluster(dir.resolve("c"), 3, basePort());
        c.nodeArgs.addAll(List.of(nodeArgs));
        c.writeLayout();
        cluster = c;
        for (int i = 1; i <= 3; i++) {
            c.startNode(i, true, jvm);
        }
        c.markExisting();
        return c;
    }

    private KvClient client(LocalCluster c) throws IOException {
        KvClient k = c.client(new KvClient.Options(500, 20_000, 256));
        clients.add(k);
        return k;
    }

    @AfterEach
    void cleanUp() {
        for (Socket s : sockets) {
            try {
                s.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
        clients.forEach(KvClient::close);
        if (cluster != null) {
            for (int i = 1; i <= cluster.nodes; i++) {
                cluster.killNode(i);
            }
        }
    }

    private String logs() {
        StringBuilder b = new StringBuilder();
        for (int i = 1; i <= cluster.nodes; i++) {
            b.append("\n--- node ").append(i).append(":\n").append(String.join("\n", cluster.lastLogLines(i, 25)));
        }
        return b.toString();
    }

    private String put(KvClient k, String key, String value) {
        try {
            return k.await(k.put(key, value)).status().name();
        } catch (RuntimeException e) {
            throw new AssertionError(e.getMessage() + logs(), e);
        }
    }

    private int leader(KvClient k) throws InterruptedException {
        return cluster.awaitLeader(k, 30_000).orElseThrow(() -> new AssertionError("no leader: " + logs()));
    }

    /** Opens up to {@code n} connections to {@code port} and keeps them (those refused at connect are not). */
    private int openIdle(int port, int n) {
        int opened = 0;
        for (int i = 0; i < n; i++) {
            try {
                Socket s = new Socket();
                sockets.add(s);
                s.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
                opened++;
            } catch (IOException e) {
                // the backlog is full or the port refuses: what an attacker would see too
            }
        }
        return opened;
    }

    private static byte[] header(int type, long length) {
        return ByteBuffer.allocate(Wire.HEADER_BYTES)
                .putShort((short) Wire.MAGIC)
                .put((byte) Wire.VERSION)
                .put((byte) type)
                .putInt((int) length)
                .array();
    }

    /** Announces a frame of {@code length} bytes and sends {@code sent} of them, then stops (kept open). */
    private Socket halfSend(int port, int type, long length, int sent) {
        Socket s = new Socket();
        try {
            sockets.add(s);
            s.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
            s.setSoTimeout(1_000);
            s.getOutputStream().write(header(type, length));
            byte[] chunk = new byte[64 << 10];
            for (int at = 0; at < sent; at += chunk.length) {
                s.getOutputStream().write(chunk, 0, Math.min(chunk.length, sent - at));
            }
            s.getOutputStream().flush();
        } catch (IOException e) {
            // closed by the node before the frame was sent: what a bounded port does
        }
        return s;
    }

    /** Whether the node closed {@code s} (reading what it sends until then), waiting at most {@code millis}. */
    private static boolean closedByNode(Socket s, long millis) {
        long end = System.nanoTime() + millis * 1_000_000;
        byte[] buf = new byte[4096];
        try {
            s.setSoTimeout(200);
            while (System.nanoTime() < end) {
                try {
                    if (s.getInputStream().read(buf) == -1) {
                        return true;
                    }
                } catch (SocketTimeoutException e) {
                    // still open
                }
            }
            return false;
        } catch (IOException e) {
            return true; // reset, or never connected
        }
    }

    private void assertAllAlive() {
        for (int i = 1; i <= 3; i++) {
            assertTrue(cluster.process(i).isPresent(), "node " + i + " died: " + logs());
        }
    }

    @Test
    void thousandsOfIdlePeerConnectionsToBothFollowersLeaveTheClusterTakingWrites() throws Exception {
        LocalCluster c = cluster(JVM);
        KvClient k = client(c);
        int leader = leader(k);
        assertEquals("OK", put(k, "before", "1"));
        // Followers with 1,024 file handles (a common default): the attack needs fewer connections to show.
        for (int f = 1; f <= 3; f++) {
            if (f != leader) {
                long pid = c.process(f)
                        .orElseThrow(() -> new AssertionError("node gone: " + logs()))
                        .pid();
                Process p = new ProcessBuilder("prlimit", "--pid", String.valueOf(pid), "--nofile=1024:1024")
                        .inheritIO()
                        .start();
                assertTrue(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0, "prlimit failed");
            }
        }
        for (int f = 1; f <= 3; f++) {
            if (f != leader) {
                openIdle(c.peerPort(f), 1_500);
            }
        }
        // Enough data to start new WAL segments (16 MiB each) on every node.
        String big = "x".repeat(900_000);
        for (int i = 0; i < 40; i++) {
            assertEquals("OK", put(k, "big" + i, big), "write " + i);
        }
        assertAllAlive();
        String followerLog = String.join("\n", c.lastLogLines(leader % 3 + 1, 300));
        assertTrue(followerLog.contains("event=peer-connection-refused"), followerLog);
    }

    @Test
    void halfSentLargeFramesOnPeerAndClientPortsLeaveARestartedFollowerCatchingUp() throws Exception {
        // As `cluster start` runs nodes: Netty's 128 MiB counted apart from values.
        List<String> jvm = NodeLaunch.memoryFlags("256m", 32L << 20, 128L << 20);
        LocalCluster c = cluster(jvm, "--quota-bytes", String.valueOf(32L << 20), "--snapshot-every", "200");
        KvClient k = client(c);
        int leader = leader(k);
        int follower = leader % 3 + 1;
        c.stopNode(follower, 10_000);
        String value = "v".repeat(50_000);
        for (int i = 0; i < 300; i++) { // past a snapshot: the follower needs entries and a snapshot
            assertEquals("OK", put(k, "k" + (i % 150), value));
        }
        // Both live nodes' peer ports: frames of 4 MiB, all but their last byte sent, more than Netty's 128 MiB.
        for (int n = 1; n <= 3; n++) {
            if (n == follower) {
                continue;
            }
            for (int i = 0; i < 40; i++) {
                halfSend(c.peerPort(n), 1, 4L << 20, (4 << 20) - 1);
            }
        }
        List<Socket> peerFrames = new ArrayList<>(sockets);
        for (int i = 0; i < 70; i++) { // 2 MiB requests, 1.9 MiB sent
            halfSend(c.clientPort(leader), 10, 2L << 20, 1_900_000);
        }
        c.startNode(follower, true, jvm);
        KvClient k2 = client(c);
        await().atMost(Duration.ofSeconds(40))
                .pollInterval(Duration.ofMillis(500))
                .until(() -> {
                    var all = c.status(k2);
                    var f = all.get(follower);
                    var l = all.get(leader);
                    return f != null && l != null && f.appliedIndex() >= l.commitIndex();
                });
        for (int i = 0; i < 20; i++) {
            assertEquals("OK", put(k2, "after" + i, "v"));
        }
        // No half-sent frame holds its buffer: a stranger's is refused from its header, any other times out.
        long held = peerFrames.stream().filter(s -> !closedByNode(s, 100)).count();
        assertEquals(0, held, "half-sent peer frames still held by the nodes");
        assertAllAlive();
    }

    @Test
    void moreIdleClientsThanThePortHoldsDoNotKeepANewClientFromWriting() throws Exception {
        LocalCluster c = cluster(JVM, "--max-client-connections", "100");
        KvClient k = client(c);
        int leader = leader(k);
        assertEquals("OK", put(k, "before", "1"));
        k.close();
        clients.remove(k);
        // 120 connections of an ordinary client (its certificate: a stranger's plain bytes fail the TLS handshake
        // at once) that each asked something once (an attacker keeping them past the idle timeout would ask
        // every few minutes), then sit idle: more than the node's 100 slots.
        int port = c.clientPort(leader);
        NioEventLoopGroup group = new NioEventLoopGroup(1);
        List<KvClient> idle = new ArrayList<>();
        try {
            Map<Integer, InetSocketAddress> only = Map.of(leader, new InetSocketAddress("127.0.0.1", port));
            for (int i = 0; i < 120; i++) {
                KvClient one = new KvClient(only, new KvClient.Options(500, 2_000, 1), group, c.clientSecurity());
                idle.add(one);
                try {
                    one.status(leader).get(5, TimeUnit.SECONDS);
                } catch (Exception e) {
                    // refused or evicted: what a bounded port does
                }
            }
            Thread.sleep(500);
            KvClient fresh = new KvClient(only, new KvClient.Options(500, 15_000, 16), null, c.clientSecurity());
            clients.add(fresh);
            for (int i = 0; i < 10; i++) {
                assertEquals("OK", put(fresh, "new-client" + i, "v"));
            }
        } finally {
            idle.forEach(KvClient::close);
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
        assertAllAlive();
    }

    /** User plus system CPU time of a process, in clock ticks (Linux /proc). */
    private long cpuTicks(long pid) throws IOException {
        String stat;
        try {
            stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        } catch (NoSuchFileException e) {
            throw new AssertionError("the node (pid " + pid + ") died: " + logs(), e);
        }
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14 and 15)
    }

    private static void prlimit(long pid, long files) throws Exception {
        // The soft limit only: it may be raised again.
        Process p = new ProcessBuilder("prlimit", "--pid", String.valueOf(pid), "--nofile=" + files + ":")
                .inheritIO()
                .start();
        assertTrue(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0, "prlimit failed");
    }

    @Test
    void anAcceptFailingForWantOfFileHandlesNeitherSpinsNorKillsTheNode() throws Exception {
        LocalCluster c = cluster(JVM);
        KvClient k = client(c);
        int leader = leader(k);
        assertEquals("OK", put(k, "before", "1"));
        int follower = leader % 3 + 1;
        long pid = c.process(follower)
                .orElseThrow(() -> new AssertionError("node gone: " + logs()))
                .pid();
        // No file handle left at all: every accept fails with EMFILE ("Too many open files").
        long open;
        try (var fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            open = fds.count();
        }
        prlimit(pid, open);
        long ticksBefore = cpuTicks(pid);
        long start = System.nanoTime();
        openIdle(c.peerPort(follower), 50);
        openIdle(c.clientPort(follower), 50);
        Thread.sleep(3_000);
        long ticks = cpuTicks(pid) - ticksBefore;
        long wallTicks = (System.nanoTime() - start) / 10_000_000; // 100 ticks a second
        prlimit(pid, 4096);
        // A node spinning on accept would burn a core the whole time; it may tick along at heartbeats.
        assertTrue(ticks < wallTicks / 2, "the node used " + ticks + " ticks of CPU in " + wallTicks);
        String log = String.join("\n", c.lastLogLines(follower, 400));
        assertTrue(log.contains("Too many open files"), "no accept failed: " + log);
        for (int i = 0; i < 20; i++) {
            assertEquals("OK", put(k, "after" + i, "v"));
        }
        await().atMost(Duration.ofSeconds(20))
                .until(() -> c.status(k, follower)
                        .map(s -> s.appliedIndex() >= c.status(k).get(leader).commitIndex())
                        .orElse(false));
        assertAllAlive();
    }
}
