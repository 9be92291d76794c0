package dev.linden.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.kvnode.client.KvClient;
import dev.linden.kvnode.kv.KvResult;
import dev.linden.kvnode.net.FrameCodec;
import dev.linden.kvnode.net.Wire;
import dev.linden.kvnode.raft.Message;
import dev.linden.kvnode.tls.ClientSecurity;
import dev.linden.kvnode.tls.TlsFiles;
import dev.linden.realenv.LocalCluster;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 24's finding 2, tried as a stranger on the network would on real node processes: the cluster id
 * is public (in {@code ps}, in cluster.properties), so the attacker knows it, and sends a hello naming a
 * member, then a heartbeat and a vote request of a term 1,000 above the cluster's. Before mutual TLS this
 * moved every node to the forged term. Now the peer port believes only certificates the cluster's CA
 * signed, and only for the node they name: a plain connection fails the handshake, an ordinary client's
 * certificate and another node's certificate are refused at the hello. Nothing the attacker sent reaches
 * Raft: terms and leader are unchanged, every acknowledged write reads back, and writes go on. A plain
 * client on the TLS client port gets nothing either.
 */
class PeerAuthenticationTest {
    private static final List<String> JVM = List.of("-Xmx256m");

    @TempDir
    Path dir;

    private LocalCluster c;
    private KvClient k;
    private final NioEventLoopGroup group = new NioEventLoopGroup(1);

    @AfterEach
    void cleanUp() {
        if (k != null) {
            k.close();
        }
        for (int i = 1; c != null && i <= c.nodes; i++) {
            c.killNode(i);
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    private String logs() {
        return c.logTails(20);
    }

    @Test
    void aForgedPeerWithTheClusterIdIsRefusedAndMovesNoTerm() throws Exception {
        c = new LocalCluster(dir.resolve("c"), 3, ProcessClusterFixture.basePort());
        c.writeLayout();
        for (int i = 1; i <= 3; i++) {
            c.startNode(i, true, JVM);
        }
        k = c.client(new KvClient.Options(500, 20_000, 64));
        int leader = c.awaitLeader(k, 30_000).orElseThrow(() -> new AssertionError("no leader" + logs()));
        for (int i = 0; i < 20; i++) {
            assertEquals(KvResult.Status.OK, k.await(k.put("k" + i, "v" + i)).status());
        }
        long term = c.status(k).get(leader).term();
        String clusterId = c.clusterId; // public: the attacker knows it

        int attempts = 0;
        for (int target = 3; target >= 1; target--) {
            // An accepted connection must come from a lower id: claim the lowest id that is not the target.
            int claimed = target == 1 ? 2 : 1;
            int otherNode = 6 - target - claimed;
            for (TlsFiles credentials : Arrays.asList(
                    null, c.authority().issueClient("client"), c.authority().issueNode(otherNode))) {
                Attack a = attack(target, claimed, clusterId, term, credentials);
                attempts++;
                assertTrue(
                        a.closed, "node " + target + " kept a forged peer's connection open (" + a.how + ")" + logs());
                assertEquals(0, a.received.get(), "node " + target + " answered a forged peer (" + a.how + ")");
                Thread.sleep(1_100); // refusals are logged at most once a second per reason: each gets its line
            }
            String log = Files.readString(c.nodeDir(target).resolve("node.log"));
            assertTrue(log.contains("but presents the client certificate client"), log);
            assertTrue(log.contains("but presents the node certificate node-" + otherNode), log);
        }
        assertEquals(9, attempts);

        Map<Integer, Wire.StatusResponse> after = c.status(k);
        assertEquals(3, after.size(), "a node stopped answering" + logs());
        for (var s : after.values()) {
            assertEquals(term, s.term(), "node " + s.nodeId() + " moved to a forged term" + logs());
            assertEquals(leader, s.leaderId(), "node " + s.nodeId() + " follows another leader" + logs());
        }
        for (int i = 0; i < 20; i++) {
            assertEquals("v" + i, k.await(k.get("k" + i)).value());
        }
        assertEquals(KvResult.Status.OK, k.await(k.put("after", "attacks")).status());

        // A client without a certificate on the TLS client port gets nothing done, and changes nothing.
        try (KvClient plain = new KvClient(c.clientEndpoints(), new KvClient.Options(300, 2_000, 4))) {
            assertFalse(
                    plain.put("plain", "x").handle((r, e) -> e == null).get(10, TimeUnit.SECONDS),
                    "a plain client wrote to a TLS client port");
        }
        assertEquals(null, k.await(k.get("plain")).value());
    }

    /** What one forged peer saw. */
    private record Attack(String how, boolean closed, AtomicInteger received) {}

    /**
     * Dials {@code target}'s peer port (plain, or TLS with {@code files}), says it is node {@code claimed} of
     * the cluster, and sends a heartbeat and a vote request 1,000 terms ahead; waits up to 10 s for the node
     * to close the connection.
     */
    private Attack attack(int target, int claimed, String clusterId, long term, TlsFiles files) throws Exception {
        String how = files == null ? "plain TCP" : "TLS as " + files.certFile().getFileName();
        AtomicInteger received = new AtomicInteger();
        ClientSecurity security = files == null ? ClientSecurity.plain() : ClientSecurity.tls(files);
        Channel ch = new Bootstrap()
                .group(group)
                .channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel sc) {
                        FrameCodec.install(
                                sc.pipeline(), Wire.DEFAULT_MAX_FRAME_BYTES, new SimpleChannelInboundHandler<Object>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
                                        if (!(msg instanceof Wire.Hello h && h.refused())) {
                                            received.incrementAndGet();
                                        }
                                    }

                                    @Override
                                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                        ctx.close();
                                    }
                                });
                        security.secure(sc);
                    }
                })
                .connect("127.0.0.1", c.peerPort(target))
                .sync()
                .channel();
        long forged = term + 1_000;
        ch.write(new Wire.Hello(claimed, clusterId, 0));
        ch.write(new Message.HeartbeatRequest(claimed, target, forged, 0, 0));
        ch.writeAndFlush(new Message.VoteRequest(claimed, target, forged, false, Long.MAX_VALUE / 4, forged));
        boolean closed = ch.closeFuture().await(10, TimeUnit.SECONDS);
        ch.close().await(2, TimeUnit.SECONDS);
        return new Attack(how, closed, received);
    }
}
