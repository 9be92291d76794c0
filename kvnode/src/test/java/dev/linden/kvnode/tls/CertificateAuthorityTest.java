package dev.linden.kvnode.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificateAuthorityTest {
    @TempDir
    Path dir;

    @Test
    void nodeAndClientCertificatesNameTheirHolderAndClusterAndChainToTheCa() throws Exception {
        CertificateAuthority ca = CertificateAuthority.openOrCreate(dir, "cluster-a", Duration.ofDays(1));
        TlsFiles node = ca.issueNode(3);
        TlsFiles client = ca.issueClient("bench");
        X509Certificate caCert = CertificateAuthority.readCertificate(ca.caCertFile());
        X509Certificate nodeCert = CertificateAuthority.readCertificate(node.certFile());
        nodeCert.verify(caCert.getPublicKey());
        assertEquals(new CertIdentity(CertIdentity.Role.NODE, "node-3", "cluster-a"), CertIdentity.of(nodeCert));
        assertEquals(3, CertIdentity.of(nodeCert).nodeId());
        CertIdentity c = CertIdentity.of(CertificateAuthority.readCertificate(client.certFile()));
        assertEquals(CertIdentity.Role.CLIENT, c.role());
        assertEquals(0, c.nodeId());
        assertEquals(
                Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
                Files.getPosixFilePermissions(node.keyFile()));
        CertificateAuthority.readPrivateKey(node.keyFile());
        // The CA certificate is no identity: it cannot pose as a node or client.
        assertThrows(IllegalArgumentException.class, () -> CertIdentity.of(caCert));
    }

    @Test
    void aSecondRunKeepsTheCaAndRefusesAnotherClustersDirectory() throws Exception {
        CertificateAuthority.openOrCreate(dir, "cluster-a", Duration.ofDays(1)).issueNode(1);
        byte[] caBefore = Files.readAllBytes(dir.resolve("ca.crt"));
        byte[] nodeBefore = Files.readAllBytes(dir.resolve("node-1/node-1.crt"));
        CertificateAuthority again = CertificateAuthority.openOrCreate(dir, "cluster-a", Duration.ofDays(1));
        again.issueNode(1);
        again.issueNode(4); // a node added later: signed by the same CA
        assertTrue(Arrays.equals(caBefore, Files.readAllBytes(dir.resolve("ca.crt"))));
        assertTrue(Arrays.equals(nodeBefore, Files.readAllBytes(dir.resolve("node-1/node-1.crt"))));
        CertificateAuthority.readCertificate(dir.resolve("node-4/node-4.crt"))
                .verify(CertificateAuthority.readCertificate(dir.resolve("ca.crt"))
                        .getPublicKey());
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> CertificateAuthority.openOrCreate(dir, "cluster-b", Duration.ofDays(1)));
        assertTrue(e.getMessage().contains("cluster-a"), e.getMessage());
    }

    @Test
    void aNodeRefusesToStartWithAnotherNodesOrClustersCertificate() throws Exception {
        CertificateAuthority ca = CertificateAuthority.openOrCreate(dir, "cluster-a", Duration.ofDays(1));
        TlsFiles two = ca.issueNode(2);
        NodeSecurity ok = NodeSecurity.mutualTls("cluster-a", 2, two, two, true);
        assertTrue(ok.peersAuthenticated());
        assertEquals(
                "cluster-a", NodeSecurity.mutualTls(null, 2, two, null, false).clusterId());
        IllegalArgumentException wrongNode = assertThrows(
                IllegalArgumentException.class, () -> NodeSecurity.mutualTls("cluster-a", 1, two, two, true));
        assertTrue(wrongNode.getMessage().contains("not node 1"), wrongNode.getMessage());
        assertThrows(IllegalArgumentException.class, () -> NodeSecurity.mutualTls("cluster-b", 2, two, two, true));
        TlsFiles client = ca.issueClient("c");
        assertThrows(IllegalArgumentException.class, () -> NodeSecurity.mutualTls("cluster-a", 2, client, null, false));
        assertThrows(IllegalArgumentException.class, () -> ca.issueClient("../node-1"));
        assertThrows(IllegalArgumentException.class, () -> ca.issueClient("Admin"));
    }

    @Test
    void eachHolderGetsADirectoryWithOnlyItsOwnKeyAndANodeRefusesAnyOther() throws Exception {
        CertificateAuthority ca = CertificateAuthority.openOrCreate(dir, "cluster-a", Duration.ofDays(1));
        TlsFiles one = ca.issueNode(1);
        ca.issueNode(2);
        ca.issueAdmin();
        assertEquals(
                Set.of("ca.crt", "node-1.crt", "node-1.key"),
                names(one.certFile().getParent()));
        assertEquals(Set.of("ca.crt", "client.crt", "client.key"), names(dir.resolve("admin")));
        assertEquals(
                CertIdentity.Role.ADMIN,
                CertIdentity.of(CertificateAuthority.readCertificate(dir.resolve("admin/client.crt")))
                        .role());
        // The old flat layout: the node's key beside the CA's and another node's.
        Files.copy(one.certFile(), dir.resolve("node-1.crt"));
        Files.copy(one.keyFile(), dir.resolve("node-1.key"));
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> NodeSecurity.mutualTls("cluster-a", 1, TlsFiles.forNode(dir, 1), null, false));
        assertTrue(e.getMessage().contains("CA's private key"), e.getMessage());
        Files.copy(ca.issueNode(2).keyFile(), one.keyFile().resolveSibling("node-2.key"));
        e = assertThrows(
                IllegalArgumentException.class, () -> NodeSecurity.mutualTls("cluster-a", 1, one, null, false));
        assertTrue(e.getMessage().contains("another private key"), e.getMessage());
    }

    private static Set<String> names(Path d) throws Exception {
        try (var s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
        }
    }
}
