package dev.linden.kvnode.tls;

import io.netty.channel.Channel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import java.nio.file.Path;
import javax.net.ssl.SSLException;

/**
 * How a client reaches client ports: plain, or TLS trusting the cluster's CA and presenting a client
 * certificate. The nodes' certificates are checked against the CA (and, by the JDK, for server use);
 * host names are not checked, as nodes are named by their certificates' subjects.
 */
public final class ClientSecurity {
    private final SslContext context;
    private final String token;

    private ClientSecurity(SslContext context, String token) {
        this.context = context;
        this.token = token;
    }

    public static ClientSecurity plain() {
        return new ClientSecurity(null, null);
    }

    /** TLS trusting {@code trustedCaFile}, presenting no certificate but {@code token} as the first frame. */
    public static ClientSecurity tlsWithToken(Path trustedCaFile, String token) {
        if (token == null || token.isBlank()) {
            throw new IllegalArgumentException("an empty token");
        }
        try {
            return new ClientSecurity(
                    SslContextBuilder.forClient()
                            .trustManager(trustedCaFile.toFile())
                            .sslProvider(NodeSecurity.provider())
                            .protocols("TLSv1.3")
                            .build(),
                    token.strip());
        } catch (SSLException | IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot load the CA " + trustedCaFile + ": " + e.getMessage(), e);
        }
    }

    /** The token to present first on each connection, or null. */
    public String token() {
        return token;
    }

    /** TLS with {@code files}' certificate (as client certificate) and trusted CA. */
    public static ClientSecurity tls(TlsFiles files) {
        files.checkReadable();
        try {
            return new ClientSecurity(
                    SslContextBuilder.forClient()
                            .keyManager(
                                    files.certFile().toFile(), files.keyFile().toFile())
                            .trustManager(files.trustedCaFile().toFile())
                            .sslProvider(NodeSecurity.provider())
                            .protocols("TLSv1.3")
                            .build(),
                    null);
        } catch (SSLException | IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "cannot load the client TLS files (" + files.certFile() + ", " + files.keyFile() + ", "
                            + files.trustedCaFile() + "): " + e.getMessage(),
                    e);
        }
    }

    public boolean isTls() {
        return context != null;
    }

    /** Puts TLS first in a connection's pipeline; nothing if plain. */
    public void secure(Channel ch) {
        if (context != null) {
            SslHandler h = context.newHandler(ch.alloc());
            h.setHandshakeTimeoutMillis(NodeSecurity.HANDSHAKE_TIMEOUT_MILLIS);
            ch.pipeline().addFirst("tls", h);
        }
    }
}
