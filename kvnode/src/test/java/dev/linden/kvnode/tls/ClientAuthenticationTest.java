package dev.linden.kvnode.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.linden.kvnode.client.KvClient;
import dev.linden.kvnode.kv.KvResult;
import dev.linden.kvnode.node.NodeConfig;
import dev.linden.kvnode.server.KvNodeServer;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client port's two ways of authenticating clients, as an operator chooses: certificates, or a token. */
class ClientAuthenticationTest {
    private static final String TOKEN = "correct-horse-battery-staple";

    @TempDir
    Path dir;

    private KvNodeServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private Map<Integer, InetSocketAddress> start(NodeSecurity security) throws Exception {
        InetSocketAddress client = new InetSocketAddress("127.0.0.1", freePort());
        server = new KvNodeServer(new KvNodeServer.Options(
                1,
                Map.of(1, new InetSocketAddress("127.0.0.1", freePort())),
                client,
                dir.resolve("n1"),
                false,
                NodeConfig.defaults()));
        server.secure(security);
        server.start();
        return Map.of(1, client);
    }

    private static boolean writes(Map<Integer, InetSocketAddress> endpoints, ClientSecurity security) throws Exception {
        try (KvClient k = new KvClient(endpoints, new KvClient.Options(500, 4_000, 4), null, security)) {
            return k.put("k", "v")
                    .handle((r, e) -> e == null && r.status() == KvResult.Status.OK)
                    .get(20, TimeUnit.SECONDS);
        }
    }

    @Test
    void withClientCertificatesOnlyAClientOfTheClustersCaGetsIn() throws Exception {
        CertificateAuthority ca = CertificateAuthority.openOrCreate(dir.resolve("certs"), "local", Duration.ofDays(1));
        TlsFiles node = ca.issueNode(1);
        Map<Integer, InetSocketAddress> eps = start(NodeSecurity.mutualTls("local", 1, node, node, true));
        assertEquals(true, writes(eps, ClientSecurity.tls(ca.issueClient("app"))));
        assertFalse(writes(eps, ClientSecurity.plain()), "a plain client got in");
        assertFalse(writes(eps, ClientSecurity.tlsWithToken(ca.caCertFile(), TOKEN)), "a client without a certificate");
        CertificateAuthority other =
                CertificateAuthority.openOrCreate(dir.resolve("other"), "local", Duration.ofDays(1));
        assertFalse(writes(eps, ClientSecurity.tls(other.issueClient("app"))), "another CA's client got in");
        // Membership and leadership are the operator's: an ordinary client is told no, the admin is heard.
        try (KvClient app = new KvClient(
                        eps, new KvClient.Options(500, 4_000, 4), null, ClientSecurity.tls(ca.issueClient("app")));
                KvClient admin = new KvClient(
                        eps, new KvClient.Options(500, 4_000, 4), null, ClientSecurity.tls(ca.issueAdmin()))) {
            String refused = app.transferLeadership(1, 2, 5_000)
                    .get(10, TimeUnit.SECONDS)
                    .message();
            org.junit.jupiter.api.Assertions.assertTrue(refused.contains("not allowed"), refused);
            String heard = admin.transferLeadership(1, 2, 5_000)
                    .get(10, TimeUnit.SECONDS)
                    .message();
            assertFalse(heard.contains("not allowed"), heard);
        }
    }

    @Test
    void withATokenOnlyAClientThatPresentsItGetsIn() throws Exception {
        CertificateAuthority ca = CertificateAuthority.openOrCreate(dir.resolve("certs"), "local", Duration.ofDays(1));
        TlsFiles node = ca.issueNode(1);
        Map<Integer, InetSocketAddress> eps =
                start(NodeSecurity.mutualTls("local", 1, node, node, false).withClientToken(TOKEN));
        assertEquals(true, writes(eps, ClientSecurity.tlsWithToken(ca.caCertFile(), TOKEN)));
        assertFalse(
                writes(eps, ClientSecurity.tlsWithToken(ca.caCertFile(), "wrong-horse-battery-staple")),
                "a wrong token got in");
        assertFalse(writes(eps, ClientSecurity.tls(ca.issueClient("app"))), "a client without the token got in");
        assertFalse(writes(eps, ClientSecurity.plain()), "a plain client got in");
    }

    @Test
    void aTokenIsRefusedWithoutTlsOrWhenShort() throws Exception {
        CertificateAuthority ca = CertificateAuthority.openOrCreate(dir.resolve("certs"), "local", Duration.ofDays(1));
        TlsFiles node = ca.issueNode(1);
        org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class,
                () -> NodeSecurity.mutualTls("local", 1, node, null, false).withClientToken(TOKEN));
        org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class,
                () -> NodeSecurity.mutualTls("local", 1, node, node, false).withClientToken("short"));
    }
}
