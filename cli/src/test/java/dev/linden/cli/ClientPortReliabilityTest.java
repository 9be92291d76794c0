package dev.linden.cli;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.kvnode.client.KvClient;
import dev.linden.kvnode.net.Wire;
import dev.linden.kvnode.service.ClientResponse;
import dev.linden.realenv.LocalCluster;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.DataInputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The client port under raw frames on real node processes: oversize and unfinished requests answered or timed
 * out without holding memory, and slow, idle or too many connections never stopping writes or peers.
 */
class ClientPortReliabilityTest extends ProcessClusterFixture {
    private static final class RawConnection implements AutoCloseable {
        final Socket socket;
        final OutputStream out;
        final DataInputStream in;

        RawConnection(int port) throws Exception {
            socket = new Socket("127.0.0.1", port);
            socket.setSoTimeout(10_000);
            out = socket.getOutputStream();
            in = new DataInputStream(socket.getInputStream());
        }

        void send(Object msg) throws Exception {
            ByteBuf b = Unpooled.buffer();
            Wire.encode(msg, b);
            byte[] bytes = new byte[b.readableBytes()];
            b.readBytes(bytes);
            out.write(bytes);
            out.flush();
        }

        Object receive() throws Exception {
            byte[] header = new byte[Wire.HEADER_BYTES];
            in.readFully(header);
            int len = ByteBuffer.wrap(header, Wire.LENGTH_OFFSET, 4).getInt();
            byte[] payload = new byte[len];
            in.readFully(payload);
            return Wire.decode(Unpooled.wrappedBuffer(header, payload));
        }

        /** True once the node closed this connection (within the socket timeout). */
        boolean closedByPeer() throws Exception {
            try {
                // An answer may come first (OVERLOADED, once the node's in-flight budget is spent): skip it.
                while (socket.getInputStream().read() != -1) {
                    continue;
                }
                return true;
            } catch (SocketException e) {
                return true; // reset
            } catch (SocketTimeoutException e) {
                return false;
            }
        }

        @Override
        public void close() throws Exception {
            socket.close();
        }
    }

    private static byte[] header(int type, long length) {
        return ByteBuffer.allocate(Wire.HEADER_BYTES)
                .putShort((short) Wire.MAGIC)
                .put((byte) Wire.VERSION)
                .put((byte) type)
                .putInt((int) length)
                .array();
    }

    @Test
    void oversizeAndUnfinishedRequestsAreAnsweredOrTimedOutWithoutHoldingMemory() throws Exception {
        LocalCluster c = cluster("c", true, "--request-read-timeout-ms", "3000");
        KvClient k = client(c);
        int leader = leader(c, k);
        int port = c.clientPort(leader);
        // A 10 MB value: answered INVALID by request id, and the connection stays usable.
        try (RawConnection conn = new RawConnection(port)) {
            conn.out.write(header(10, 8 + 10_000_000));
            conn.out.write(ByteBuffer.allocate(8).putLong(42).array());
            byte[] chunk = new byte[1 << 20];
            for (int i = 0; i < 10; i++) {
                conn.out.write(chunk, 0, i < 9 ? chunk.length : 10_000_000 - 9 * chunk.length);
            }
            conn.out.flush();
            ClientResponse r = (ClientResponse) conn.receive();
            assertEquals(42, r.requestId());
            assertEquals(ClientResponse.Status.INVALID, r.status());
            assertTrue(r.result().value().contains("exceeds the node's limit"), r.toString());
            conn.send(new Wire.StatusRequest(43));
            assertEquals(43, ((Wire.StatusResponse) conn.receive()).requestId());
        }
        // Forty connections announce 15 MB requests and never finish them; forty more announce 1.5 MB ones.
        List<RawConnection> stalled = new ArrayList<>();
        try {
            for (int i = 0; i < 80; i++) {
                RawConnection conn = new RawConnection(port);
                conn.out.write(header(10, i < 40 ? 15_000_000 : 1_500_000));
                conn.out.write(ByteBuffer.allocate(8).putLong(i).array());
                conn.out.write(new byte[1000]);
                conn.out.flush();
                stalled.add(conn);
            }
            // The node keeps serving meanwhile...
            for (int i = 0; i < 200; i++) {
                assertEquals("OK", put(k, "during" + i, "v"));
            }
            // ...and closes every stalled request after the read timeout.
            long closed = 0;
            for (RawConnection conn : stalled.subList(40, 80)) {
                closed += conn.closedByPeer() ? 1 : 0;
            }
            assertEquals(40, closed, "unfinished requests are closed after --request-read-timeout-ms");
        } finally {
            for (RawConnection conn : stalled) {
                conn.close();
            }
        }
        for (int i = 1; i <= 3; i++) {
            assertTrue(c.process(i).isPresent(), "node " + i + " died: " + logs(c));
        }
    }

    // ------------------------------------------------------------------ finding 6

    @Test
    void slowIdleAndTooManyConnectionsNeverStopWritesOrPeers() throws Exception {
        LocalCluster c = cluster(
                "c",
                true,
                "--request-read-timeout-ms",
                "2000",
                "--client-idle-timeout-ms",
                "4000",
                "--max-client-connections",
                "100");
        KvClient k = client(c);
        int leader = leader(c, k);
        assertEquals("OK", put(k, "before", "1")); // this client's connection is open before the flood
        int port = c.clientPort(leader);
        // One byte a second: the connection is closed after the request read timeout.
        try (RawConnection slow = new RawConnection(port)) {
            slow.socket.setSoTimeout(1_000);
            byte[] h = header(10, 100);
            boolean closed = false;
            for (int i = 0; i < h.length && !closed; i++) {
                slow.out.write(h[i]);
                slow.out.flush();
                closed = slow.closedByPeer();
            }
            for (int i = 0; i < 5 && !closed; i++) {
                closed = slow.closedByPeer();
            }
            assertTrue(closed, "a request trickling in at one byte a second was not cut off");
        }
        // A flood of idle connections: the ones over the cap are closed at once, the node keeps its file
        // handles for peers and its WAL, and writes go on.
        List<Socket> flood = new ArrayList<>();
        try {
            for (int i = 0; i < 600; i++) {
                flood.add(new Socket("127.0.0.1", port));
            }
            for (int i = 0; i < 100; i++) {
                assertEquals("OK", put(k, "flood" + i, "v"));
            }
            // A follower restarted now must reconnect to the leader's peer port.
            int f = leader % 3 + 1;
            c.stopNode(f, 10_000);
            c.startNode(f, true, JVM);
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> c.status(k, f)
                            .map(s ->
                                    s.appliedIndex() >= c.status(k).get(leader).commitIndex())
                            .orElse(false));
            // Idle connections are reaped after the idle timeout.
            Socket idle = flood.get(0);
            idle.setSoTimeout(10_000);
            assertEquals(-1, idle.getInputStream().read(), "an idle connection stays open past the idle timeout");
        } finally {
            for (Socket s : flood) {
                s.close();
            }
        }
        // A full port evicts idle connections first (issue 24): the flood shows as evictions.
        String log = String.join("\n", c.lastLogLines(leader, 400));
        assertTrue(log.contains("event=client-connection-evicted") || log.contains("reason=max-connections"), log);
    }

    // ------------------------------------------------------------------ finding 7
}
