package dev.linden.kvnode.server;

import dev.linden.kvnode.tls.NodeSecurity;
import dev.linden.kvnode.tls.TlsFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import picocli.CommandLine.Option;

/**
 * The node's TLS options (a mixin of {@link NodeCommand}): --insecure, --tls-dir, or etcd's file flags, each also
 * readable from the properties file. Exactly one way must be chosen: a node never starts open to strangers.
 */
final class NodeTlsOptions {
    @Option(
            names = "--insecure",
            description = "no TLS on either port: anyone who can reach the peer port is believed "
                    + "to be the node its hello names (the node logs this choice); without it the node needs "
                    + "certificates")
    boolean insecure;

    @Option(
            names = "--tls-dir",
            description = "a directory written by `linden certs`: mutual TLS on the peer port with "
                    + "node-<id>.crt/.key and ca.crt, and TLS with client certificates on the client port")
    Path tlsDir;

    @Option(names = "--peer-trusted-ca-file", description = "CA that signs every node's peer certificate (etcd's name)")
    Path peerTrustedCaFile;

    @Option(
            names = "--peer-cert-file",
            description =
                    "this node's certificate for the peer port (CN=node-<id>, " + "O=<cluster id>, OU=linden-node)")
    Path peerCertFile;

    @Option(names = "--peer-key-file", description = "the key of --peer-cert-file (PKCS#8 PEM)")
    Path peerKeyFile;

    @Option(names = "--trusted-ca-file", description = "client port: CA that signs client certificates")
    Path trustedCaFile;

    @Option(names = "--cert-file", description = "client port: this node's certificate (TLS for clients)")
    Path certFile;

    @Option(names = "--key-file", description = "client port: the key of --cert-file")
    Path keyFile;

    @Option(names = "--client-cert-auth", description = "client port: require a client certificate of this cluster")
    Boolean clientCertAuth;

    @Option(
            names = "--client-token-file",
            description = "client port: clients must present the token in this file "
                    + "(16 to 256 characters) instead of a client certificate; needs TLS on the client port")
    Path clientTokenFile;

    /**
     * The ports' security from the flags and the properties file: --insecure, --tls-dir, or etcd's file flags;
     * exactly one way must be chosen (a node never starts open to strangers by default).
     */
    NodeSecurity security(Properties p, int id, String clusterId) {
        boolean open = insecure || Boolean.parseBoolean(p.getProperty("insecure", "false"));
        Path dir = tlsDir != null ? tlsDir : NodeProperties.pathProp(p, "tls-dir");
        Path peerCa =
                peerTrustedCaFile != null ? peerTrustedCaFile : NodeProperties.pathProp(p, "peer-trusted-ca-file");
        Path peerCert = peerCertFile != null ? peerCertFile : NodeProperties.pathProp(p, "peer-cert-file");
        Path peerKey = peerKeyFile != null ? peerKeyFile : NodeProperties.pathProp(p, "peer-key-file");
        Path ca = trustedCaFile != null ? trustedCaFile : NodeProperties.pathProp(p, "trusted-ca-file");
        Path cert = certFile != null ? certFile : NodeProperties.pathProp(p, "cert-file");
        Path key = keyFile != null ? keyFile : NodeProperties.pathProp(p, "key-file");
        boolean certAuth = clientCertAuth != null
                ? clientCertAuth
                : Boolean.parseBoolean(p.getProperty("client-cert-auth", "false"));
        boolean peerFiles = peerCa != null || peerCert != null || peerKey != null;
        int ways = (open ? 1 : 0) + (dir != null ? 1 : 0) + (peerFiles ? 1 : 0);
        if (ways == 0) {
            throw new IllegalArgumentException("no certificates: give --tls-dir DIR (made by `linden certs`), or "
                    + "--peer-trusted-ca-file, --peer-cert-file and --peer-key-file, or choose --insecure explicitly");
        }
        if (ways > 1) {
            throw new IllegalArgumentException("choose one of --insecure, --tls-dir and the --peer-*-file flags");
        }
        Path tokenFile = clientTokenFile != null ? clientTokenFile : NodeProperties.pathProp(p, "client-token-file");
        String token = null;
        if (tokenFile != null) {
            try {
                token = Files.readString(tokenFile).strip();
            } catch (IOException e) {
                throw new IllegalArgumentException(
                        "cannot read --client-token-file " + tokenFile + ": " + e.getMessage());
            }
        }
        if (open) {
            if (token != null) {
                throw new IllegalArgumentException("a client token needs TLS on the client port: not with --insecure");
            }
            return NodeSecurity.insecure();
        }
        if (dir != null) {
            TlsFiles files = TlsFiles.forNode(dir, id);
            return token == null
                    ? NodeSecurity.mutualTls(clusterId, id, files, files, true)
                    : NodeSecurity.mutualTls(clusterId, id, files, files, false).withClientToken(token);
        }
        if (peerCa == null || peerCert == null || peerKey == null) {
            throw new IllegalArgumentException(
                    "--peer-trusted-ca-file, --peer-cert-file and --peer-key-file go together");
        }
        TlsFiles client;
        if (cert != null || key != null || ca != null) {
            if (cert == null || key == null || (certAuth && ca == null)) {
                throw new IllegalArgumentException(
                        "--cert-file and --key-file go together (and --client-cert-auth " + "needs --trusted-ca-file)");
            }
            if (!certAuth && token == null) {
                // Whoever reaches it could write, and change membership: the client port is never open by default.
                throw new IllegalArgumentException(
                        "the client port would accept anyone: add --client-cert-auth or " + "--client-token-file");
            }
            client = new TlsFiles(ca != null ? ca : peerCa, cert, key);
        } else {
            // No files of its own: the client port uses the node's, with client certificates of the same CA
            // (or the token).
            client = new TlsFiles(peerCa, peerCert, peerKey);
            certAuth = token == null;
        }
        NodeSecurity security =
                NodeSecurity.mutualTls(clusterId, id, new TlsFiles(peerCa, peerCert, peerKey), client, certAuth);
        return token == null ? security : security.withClientToken(token);
    }
}
