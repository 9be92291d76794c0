package dev.linden.kvnode.net;

import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.NotSslRecordException;
import java.net.InetSocketAddress;

/** What both ports say about a connection's failure, and how they read a peer's address. */
final class ConnectionErrors {
    private ConnectionErrors() {}

    /** Why a connection failed, for a log line: bounded, and never quoting bytes a stranger sent. */
    static String reason(Throwable t) {
        Throwable c = t instanceof DecoderException && t.getCause() != null ? t.getCause() : t;
        if (c instanceof NotSslRecordException) {
            // Its message quotes the bytes received, which a stranger chooses (and which may be a secret
            // sent in the clear): never logged.
            return "NotSslRecordException: not a TLS record (plain bytes on a TLS port)";
        }
        String message = String.valueOf(c.getMessage());
        // Bounded: some messages quote what arrived (a plain request on a TLS port, in hex), which a stranger
        // chooses and which may hold a secret sent in the clear.
        return c.getClass().getSimpleName() + ": "
                + (message.length() > 120 ? message.substring(0, 120) + "..." : message);
    }

    /** {@code host:port} as an address, or null if it is not one. */
    static InetSocketAddress hostPort(String address) {
        int colon = address.lastIndexOf(':');
        if (colon <= 0) {
            return null;
        }
        try {
            return new InetSocketAddress(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1)));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
