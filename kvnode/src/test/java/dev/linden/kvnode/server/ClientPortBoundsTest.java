package dev.linden.kvnode.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.kvnode.client.KvClient;
import dev.linden.kvnode.kv.KvResult;
import dev.linden.kvnode.net.ClientPortLimits;
import dev.linden.kvnode.net.FileHandleReserve;
import dev.linden.kvnode.net.Wire;
import dev.linden.kvnode.node.NodeConfig;
import dev.linden.kvnode.service.KvLimits;
import dev.linden.kvnode.tls.NodeSecurity;
import dev.linden.kvnode.wal.NodeIdentity;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client port of a one-node cluster on loopback when full: idle connections give way to a new client,
 * busy ones do not, and no connection is kept when file handles run short.
 */
class ClientPortBoundsTest {
    private static final int MAX_CONNECTIONS = 4;

    @TempDir
    Path dir;

    private KvNodeServer server;
    private KvClient client;
    private InetSocketAddress clientAddress;
    private final List<Socket> sockets = new ArrayList<>();

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private void start(FileHandleReserve reserve) throws Exception {
        clientAddress = new InetSocketAddress("127.0.0.1", freePort());
        server = new KvNodeServer(new KvNodeServer.Options(
                1,
                Map.of(1, new InetSocketAddress("127.0.0.1", freePort())),
                clientAddress,
                dir,
                false,
                NodeConfig.defaults(),
                "c",
                NodeIdentity.InitialClusterState.NEW,
                KvLimits.defaults(),
                ClientPortLimits.defaults().withMaxConnections(MAX_CONNECTIONS)));
        if (reserve != null) {
            server.reserveFileHandles(reserve);
        }
        server.secure(NodeSecurity.insecure()); // bounds, not authentication, here
        server.start();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (Socket s : sockets) {
            s.close();
        }
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private Socket connect() throws Exception {
        Socket s = new Socket(clientAddress.getAddress(), clientAddress.getPort());
        sockets.add(s);
        return s;
    }

    /** Whether the node closes {@code s} within {@code millis}. */
    private static boolean closedWithin(Socket s, int millis) throws Exception {
        s.setSoTimeout(millis);
        try {
            return s.getInputStream().read() == -1;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (SocketException e) {
            return true;
        }
    }

    private KvResult.Status put(String key) {
        if (client == null) {
            client = new KvClient(Map.of(1, clientAddress), new KvClient.Options(500, 20_000, 16));
        }
        return client.await(client.put(key, "v")).status();
    }

    @Test
    void aFullPortEvictsItsLeastRecentlyActiveIdleConnectionForANewClient() throws Exception {
        start(null);
        assertEquals(KvResult.Status.OK, put("first")); // elects the node; the client's connection then idles
        client.close();
        client = null;
        List<Socket> idle = new ArrayList<>();
        for (int i = 0; i < MAX_CONNECTIONS; i++) {
            idle.add(connect());
            Thread.sleep(20); // distinct activity times: the first is the least recently active
        }
        Thread.sleep(200);
        assertEquals(KvResult.Status.OK, put("while-full"));
        assertTrue(closedWithin(idle.get(0), 3_000), "the least recently active idle connection was not evicted");
        for (Socket s : idle.subList(1, MAX_CONNECTIONS)) {
            assertTrue(!closedWithin(s, 50), "more than one idle connection was evicted");
        }
    }

    @Test
    void busyConnectionsAreNotEvictedANewOneIsRefused() throws Exception {
        start(null);
        assertEquals(KvResult.Status.OK, put("first"));
        client.close();
        client = null;
        Thread.sleep(200);
        List<Socket> busy = new ArrayList<>();
        for (int i = 0; i < MAX_CONNECTIONS; i++) {
            Socket s = connect();
            // A request half-received: the connection is busy until it arrives or times out (10 s).
            s.getOutputStream()
                    .write(ByteBuffer.allocate(Wire.HEADER_BYTES + 8)
                            .putShort((short) Wire.MAGIC)
                            .put((byte) Wire.VERSION)
                            .put((byte) 10)
                            .putInt(100)
                            .putLong(i)
                            .array());
            busy.add(s);
        }
        Thread.sleep(300);
        assertTrue(closedWithin(connect(), 3_000), "a connection over the cap was kept while every slot is busy");
        for (Socket s : busy) {
            assertTrue(!closedWithin(s, 50), "a busy connection was evicted");
        }
    }

    @Test
    void noClientConnectionIsKeptWhenFileHandlesRunShort() throws Exception {
        AtomicLong open = new AtomicLong(100);
        AtomicLong clock = new AtomicLong();
        start(new FileHandleReserve(256, () -> 1000, open::get, clock::get));
        assertEquals(KvResult.Status.OK, put("first"));
        open.set(900);
        clock.addAndGet(1_000_000_000L);
        assertTrue(closedWithin(connect(), 3_000), "a connection was kept within the file handle reserve");
        open.set(100);
        clock.addAndGet(1_000_000_000L);
        assertTrue(!closedWithin(connect(), 300));
    }
}
