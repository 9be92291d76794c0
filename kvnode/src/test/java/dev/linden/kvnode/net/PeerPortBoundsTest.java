package dev.linden.kvnode.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.nio.NioEventLoopGroup;
import java.io.DataInputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The peer port's bounds before a Hello, on loopback with a real {@link PeerTransport}: the frame limit
 * before and after the Hello, the Hello timeout, the pending-connection cap, the frame read timeout and the
 * file handle reserve.
 */
class PeerPortBoundsTest {
    private static final long HELLO_TIMEOUT_MILLIS = 500;
    private static final long FRAME_READ_TIMEOUT_MILLIS = 700;
    private final NioEventLoopGroup group = new NioEventLoopGroup(1);
    private final List<Socket> sockets = new ArrayList<>();
    private PeerTransport transport;
    private InetSocketAddress address;

    /** Node 2 of cluster "c" listening; node 1 (never started) would dial it. */
    private void start(PeerPortLimits limits, FileHandleReserve fileHandles) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        address = new InetSocketAddress("127.0.0.1", port);
        transport = new PeerTransport(
                2,
                "c",
                Map.of(1, new InetSocketAddress("127.0.0.1", 1), 2, address),
                group,
                msgs -> {},
                () -> false,
                Wire.DEFAULT_MAX_FRAME_BYTES,
                1 << 20);
        transport.limitPort(limits, fileHandles);
        transport.start();
    }

    private static PeerPortLimits limits(int all, int pending) {
        return new PeerPortLimits(all, pending, HELLO_TIMEOUT_MILLIS, 4096, FRAME_READ_TIMEOUT_MILLIS);
    }

    private static FileHandleReserve plentyOfFileHandles() {
        return new FileHandleReserve(256, () -> 1_000_000, () -> 100, System::nanoTime);
    }

    @AfterEach
    void tearDown() throws Exception {
        for (Socket s : sockets) {
            s.close();
        }
        if (transport != null) {
            transport.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    private Socket connect() throws Exception {
        Socket s = new Socket(address.getAddress(), address.getPort());
        s.setSoTimeout(3_000);
        sockets.add(s);
        return s;
    }

    private static byte[] header(long length) {
        return ByteBuffer.allocate(Wire.HEADER_BYTES)
                .putShort((short) Wire.MAGIC)
                .put((byte) Wire.VERSION)
                .put((byte) 1)
                .putInt((int) length)
                .array();
    }

    private static byte[] encode(Object msg) {
        ByteBuf b = Unpooled.buffer();
        Wire.encode(msg, b);
        byte[] bytes = new byte[b.readableBytes()];
        b.readBytes(bytes);
        return bytes;
    }

    /** Milliseconds until the node closes {@code s} (reads and drops what it sends), or -1 past {@code maxMillis}. */
    private static long millisUntilClosed(Socket s, long maxMillis) throws Exception {
        long start = System.nanoTime();
        s.setSoTimeout(100);
        byte[] buf = new byte[4096];
        while ((System.nanoTime() - start) / 1_000_000 < maxMillis) {
            try {
                if (s.getInputStream().read(buf) == -1) {
                    return (System.nanoTime() - start) / 1_000_000;
                }
            } catch (SocketTimeoutException e) {
                // still open
            } catch (SocketException e) {
                return (System.nanoTime() - start) / 1_000_000; // reset
            }
        }
        return -1;
    }

    /** Sends node 1's Hello and reads node 2's answer: the link is past its Hello. */
    private Socket helloAsNode1() throws Exception {
        Socket s = connect();
        s.getOutputStream().write(encode(new Wire.Hello(1, "c", 0)));
        DataInputStream in = new DataInputStream(s.getInputStream());
        byte[] header = new byte[Wire.HEADER_BYTES];
        in.readFully(header);
        byte[] payload = new byte[ByteBuffer.wrap(header, Wire.LENGTH_OFFSET, 4).getInt()];
        in.readFully(payload);
        Wire.Hello answer = (Wire.Hello) Wire.decode(Unpooled.wrappedBuffer(header, payload));
        assertEquals(2, answer.nodeId());
        assertFalse(answer.refused());
        return s;
    }

    @Test
    void aFrameOverTheHelloLimitBeforeTheHelloClosesTheConnectionFromItsHeader() throws Exception {
        start(limits(16, 8).withTimeouts(5_000, FRAME_READ_TIMEOUT_MILLIS), plentyOfFileHandles());
        Socket s = connect();
        s.getOutputStream().write(header(1 << 20)); // 1 MiB announced, nothing of it sent
        long millis = millisUntilClosed(s, 6_000);
        assertTrue(millis >= 0 && millis < 3_000, "closed after " + millis + " ms, not at once");
    }

    @Test
    void afterTheHelloTheNormalLimitAppliesAndAHalfSentFrameTimesOut() throws Exception {
        start(limits(16, 8), plentyOfFileHandles());
        Socket s = helloAsNode1();
        OutputStream out = s.getOutputStream();
        out.write(header(1 << 20));
        out.write(new byte[100_000]); // a big frame, started and never finished
        out.flush();
        long millis = millisUntilClosed(s, 3_000);
        assertTrue(
                millis >= FRAME_READ_TIMEOUT_MILLIS - 200,
                "a peer's big frame must be allowed: closed after " + millis + " ms");
        assertTrue(millis >= 0, "a half-sent frame was never timed out");
    }

    @Test
    void aConnectionWithoutAHelloIsClosedAfterTheHelloTimeoutEvenIfItTrickles() throws Exception {
        start(limits(16, 8), plentyOfFileHandles());
        Socket silent = connect();
        Socket trickle = connect();
        trickle.getOutputStream().write(header(100)); // a small frame that never finishes
        assertTrue(millisUntilClosed(silent, 2_000) >= HELLO_TIMEOUT_MILLIS - 100);
        assertTrue(millisUntilClosed(trickle, 2_000) >= 0, "a connection without a Hello stayed open");
    }

    @Test
    void connectionsOverThePendingCapAreClosedAtOnceAndAPeerStillGetsInAfterwards() throws Exception {
        start(limits(16, 4).withTimeouts(3_000, FRAME_READ_TIMEOUT_MILLIS), plentyOfFileHandles());
        List<Socket> held = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            held.add(connect());
        }
        Thread.sleep(100);
        for (int i = 0; i < 6; i++) {
            long millis = millisUntilClosed(connect(), 1_000);
            assertTrue(millis >= 0, "connection " + (5 + i) + " over a cap of 4 pending was kept");
        }
        for (Socket s : held) {
            assertEquals(-1, millisUntilClosed(s, 50), "a connection within the cap was closed early");
        }
        // The pending ones time out; a real peer then gets in.
        for (Socket s : held) {
            assertTrue(millisUntilClosed(s, 5_000) >= 0, "a connection without a Hello stayed open");
        }
        helloAsNode1();
    }

    @Test
    void noConnectionIsKeptWhenFileHandlesRunShort() throws Exception {
        AtomicLong open = new AtomicLong(100);
        AtomicLong clock = new AtomicLong();
        FileHandleReserve reserve = new FileHandleReserve(256, () -> 1000, open::get, clock::get);
        start(limits(16, 8), reserve);
        open.set(800); // 200 free, below the reserve of 256
        clock.addAndGet(FileHandleReserve.SAMPLE_EVERY_NANOS);
        assertTrue(millisUntilClosed(connect(), 1_000) >= 0, "a connection was kept within the reserve");
        assertTrue(reserve.refused.get() >= 1);
        open.set(100);
        clock.addAndGet(FileHandleReserve.SAMPLE_EVERY_NANOS);
        assertEquals(-1, millisUntilClosed(connect(), 200));
    }
}
