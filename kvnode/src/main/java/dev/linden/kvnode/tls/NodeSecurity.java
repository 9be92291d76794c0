package dev.linden.kvnode.tls;

import dev.linden.kvnode.net.Wire;
import io.netty.channel.Channel;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.stream.Stream;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * How a node's ports authenticate. On the peer port, mutual TLS: both ends present a certificate the
 * cluster's CA signed, and a peer is believed to be node N of cluster C only if its certificate says so
 * ({@link CertIdentity}), whatever its Hello claims. On the client port, TLS, and with
 * {@code clientCertAuth} a client certificate of the same cluster. {@link #insecure} is the operator's
 * explicit choice of neither (the node logs it): then anyone who can reach the ports is believed.
 *
 * <p>TLS 1.3 through BoringSSL (netty-tcnative's static build, where its native library loads: Linux
 * x86-64), else the JDK's own provider; measured with the bench, BoringSSL costs less (see the README).
 * Handshakes time out after {@link #HANDSHAKE_TIMEOUT_MILLIS}.
 */
public final class NodeSecurity {
    public static final long HANDSHAKE_TIMEOUT_MILLIS = 5_000;
    private static final String[] PROTOCOLS = {"TLSv1.3"};

    /**
     * BoringSSL where its native library loads, else the JDK's TLS; {@code -Dlinden.tls.provider=jdk} chooses
     * the JDK's (to compare them).
     */
    static SslProvider provider() {
        return !"jdk".equals(System.getProperty("linden.tls.provider")) && OpenSsl.isAvailable()
                ? SslProvider.OPENSSL
                : SslProvider.JDK;
    }

    private final String clusterId;
    private final SslContext peerServer;
    private final SslContext peerClient;
    private final SslContext clientPort;
    private final boolean clientCertAuth;
    /** SHA-256 of the token clients must present first on the client port, or null. */
    private final byte[] clientTokenHash;

    private NodeSecurity(
            String clusterId,
            SslContext peerServer,
            SslContext peerClient,
            SslContext clientPort,
            boolean clientCertAuth,
            byte[] clientTokenHash) {
        this.clusterId = clusterId;
        this.peerServer = peerServer;
        this.peerClient = peerClient;
        this.clientPort = clientPort;
        this.clientCertAuth = clientCertAuth;
        this.clientTokenHash = clientTokenHash;
    }

    /** Shortest token accepted: a guessable one protects nothing. */
    public static final int MIN_TOKEN_CHARS = 16;

    /**
     * The same, and clients must present {@code token} as their first frame on the client port (the
     * operator's alternative to client certificates). Only over TLS: a token sent in the clear is anyone's.
     */
    public NodeSecurity withClientToken(String token) {
        if (clientPort == null) {
            throw new IllegalArgumentException(
                    "a client token needs TLS on the client port (--cert-file and --key-file,"
                            + " or --tls-dir): sent in the clear it would be anyone's");
        }
        if (token == null
                || token.strip().length() < MIN_TOKEN_CHARS
                || token.strip().getBytes(StandardCharsets.UTF_8).length > Wire.MAX_TOKEN_BYTES) {
            throw new IllegalArgumentException(
                    "a client token is " + MIN_TOKEN_CHARS + " to " + Wire.MAX_TOKEN_BYTES + " characters");
        }
        return new NodeSecurity(clusterId, peerServer, peerClient, clientPort, clientCertAuth, sha256(token.strip()));
    }

    /** Whether clients must present a token first. */
    public boolean requiresClientToken() {
        return clientTokenHash != null;
    }

    /** Whether {@code token} is the clients' token (compared in constant time). */
    public boolean clientTokenMatches(String token) {
        return clientTokenHash != null
                && token != null
                && MessageDigest.isEqual(clientTokenHash, sha256(token.strip()));
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        }
    }

    /** No TLS on either port: the operator's explicit choice (`--insecure`). */
    public static NodeSecurity insecure() {
        return new NodeSecurity(null, null, null, null, false, null);
    }

    /**
     * Mutual TLS on the peer port with {@code peer}'s files, which must name node {@code nodeId} of
     * {@code clusterId} (null: the cluster the certificate names); on the client port TLS with {@code client}'s
     * files (null: the client port stays
     * plain), requiring client certificates if {@code clientCertAuth}. Throws IllegalArgumentException
     * saying what is wrong with the files.
     */
    public static NodeSecurity mutualTls(
            String clusterId, int nodeId, TlsFiles peer, TlsFiles client, boolean clientCertAuth) {
        peer.checkReadable();
        keptApart(peer);
        CertIdentity own = identityInFile(peer);
        if (clusterId == null) {
            clusterId = own.clusterId(); // a node restarted without --cluster-id: its certificate names it
        }
        if (own.role() != CertIdentity.Role.NODE
                || own.nodeId() != nodeId
                || !own.clusterId().equals(clusterId)) {
            throw new IllegalArgumentException(
                    peer.certFile() + " is the " + own + ", not node " + nodeId + " of cluster " + clusterId);
        }
        try {
            SslContext server = SslContextBuilder.forServer(
                            peer.certFile().toFile(), peer.keyFile().toFile())
                    .trustManager(peer.trustedCaFile().toFile())
                    .clientAuth(ClientAuth.REQUIRE)
                    .sslProvider(provider())
                    .protocols(PROTOCOLS)
                    .build();
            SslContext dialer = SslContextBuilder.forClient()
                    .keyManager(peer.certFile().toFile(), peer.keyFile().toFile())
                    .trustManager(peer.trustedCaFile().toFile())
                    .sslProvider(provider())
                    .protocols(PROTOCOLS)
                    .build();
            SslContext clients = null;
            if (client != null) {
                client.checkReadable();
                clients = SslContextBuilder.forServer(
                                client.certFile().toFile(), client.keyFile().toFile())
                        .trustManager(client.trustedCaFile().toFile())
                        // Without required certificates (a token instead) one may still be shown: an admin's.
                        .clientAuth(clientCertAuth ? ClientAuth.REQUIRE : ClientAuth.OPTIONAL)
                        .sslProvider(provider())
                        .protocols(PROTOCOLS)
                        .build();
            }
            return new NodeSecurity(clusterId, server, dialer, clients, client != null && clientCertAuth, null);
        } catch (SSLException | IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "cannot load the TLS files (" + peer.certFile() + ", " + peer.keyFile() + ", "
                            + peer.trustedCaFile() + "): " + e.getMessage(),
                    e);
        }
    }

    /**
     * Refuses a node's key kept beside the CA's key or another node's: whoever reads that directory (the
     * node, if compromised) could then pose as any node. {@code linden certs} gives each node a directory.
     */
    private static void keptApart(TlsFiles files) {
        Path dir = files.keyFile().toAbsolutePath().getParent();
        if (dir == null) {
            return;
        }
        if (Files.exists(dir.resolve(CertificateAuthority.CA_KEY))) {
            throw new IllegalArgumentException(dir + " holds the CA's private key (" + CertificateAuthority.CA_KEY
                    + "): give the node a directory with only ca.crt and its own certificate and key (linden certs "
                    + "writes DIR/node-N/)");
        }
        try (Stream<Path> keys = Files.list(dir)) {
            Path other = keys.filter(k -> k.getFileName().toString().endsWith(".key")
                            && !k.getFileName().equals(files.keyFile().getFileName()))
                    .findFirst()
                    .orElse(null);
            if (other != null) {
                throw new IllegalArgumentException(dir + " holds another private key (" + other.getFileName()
                        + "): give the node a directory with only its own key (linden certs writes DIR/node-N/)");
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    private static CertIdentity identityInFile(TlsFiles files) {
        try {
            return CertIdentity.of(CertificateAuthority.readCertificate(files.certFile()));
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException(
                    "cannot read the certificate " + files.certFile() + ": " + e.getMessage(), e);
        }
    }

    /** The cluster whose certificates are believed (null when insecure). */
    public String clusterId() {
        return clusterId;
    }

    /** Whether peers must prove who they are (mutual TLS on the peer port). */
    public boolean peersAuthenticated() {
        return peerServer != null;
    }

    /** Puts TLS first in a peer connection's pipeline (before any framing); nothing if insecure. */
    public void securePeer(Channel ch, boolean dialer) {
        if (peerServer != null) {
            SslHandler h = (dialer ? peerClient : peerServer).newHandler(ch.alloc());
            h.setHandshakeTimeoutMillis(HANDSHAKE_TIMEOUT_MILLIS);
            ch.pipeline().addFirst("tls", h);
        }
    }

    /** Puts TLS first in a client connection's pipeline; nothing if the client port is plain. */
    public void secureClientPort(Channel ch) {
        if (clientPort != null) {
            SslHandler h = clientPort.newHandler(ch.alloc());
            h.setHandshakeTimeoutMillis(HANDSHAKE_TIMEOUT_MILLIS);
            ch.pipeline().addFirst("tls", h);
        }
    }

    /**
     * Why the client on {@code ch} may not use the client port (a certificate is required and its is not
     * one of this cluster's), or null. Asked at its first frame: the handshake is over by then.
     */
    public String clientProblem(Channel ch) {
        return clientCertAuth ? certificateProblem(ch, null) : null;
    }

    /**
     * Whether the client on {@code ch} may change membership and move leadership: with TLS, only an admin's
     * or a node's certificate of this cluster (an ordinary client or a token could otherwise take quorum
     * away, or bump terms in a loop); without, anyone (the operator chose --insecure).
     */
    public boolean mayAdminister(Channel ch) {
        if (peerServer == null) {
            return true;
        }
        CertIdentity who = presented(ch);
        return who != null
                && who.clusterId().equals(clusterId)
                && (who.role() == CertIdentity.Role.ADMIN || who.role() == CertIdentity.Role.NODE);
    }

    private static CertIdentity presented(Channel ch) {
        SslHandler tls = ch.pipeline().get(SslHandler.class);
        if (tls == null) {
            return null;
        }
        try {
            return CertIdentity.of((X509Certificate) tls.engine().getSession().getPeerCertificates()[0]);
        } catch (SSLPeerUnverifiedException | IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * Why the peer on {@code ch} is not node {@code claimedNodeId} of this cluster, or null if its
     * certificate proves it is (always null when insecure). With {@code claimedNodeId} null: why it is
     * not a certificate of this cluster at all.
     */
    public String certificateProblem(Channel ch, Integer claimedNodeId) {
        if (peerServer == null && clientPort == null) {
            return null;
        }
        SslHandler tls = ch.pipeline().get(SslHandler.class);
        if (tls == null) {
            return "no TLS on this connection";
        }
        CertIdentity who;
        try {
            Certificate[] chain = tls.engine().getSession().getPeerCertificates();
            who = CertIdentity.of((X509Certificate) chain[0]);
        } catch (SSLPeerUnverifiedException e) {
            return "no certificate was presented";
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        if (!who.clusterId().equals(clusterId)) {
            return "the " + who + " is not of this cluster (" + clusterId + ")";
        }
        if (claimedNodeId != null && (who.role() != CertIdentity.Role.NODE || who.nodeId() != claimedNodeId)) {
            return "it claims to be node " + claimedNodeId + " but presents the " + who;
        }
        return null;
    }

    /** One line for the node's start-up log. */
    public String describe() {
        if (peerServer == null) {
            return "INSECURE: no TLS on the peer or client port (--insecure); anyone who can reach them is believed";
        }
        return "peer port: mutual TLS (TLSv1.3 by " + (provider() == SslProvider.OPENSSL ? "BoringSSL" : "the JDK")
                + ", node certificates of cluster " + clusterId + "); client port: "
                + (clientPort == null ? "plain (no TLS)" : clientCertAuth ? "TLS with client certificates" : "TLS")
                + (clientTokenHash != null ? " and a client token" : "");
    }
}
