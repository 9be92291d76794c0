package dev.linden.kvnode.net;

/**
 * Bounds on what clients can hold of a node: connections, bytes of requests being received or awaiting
 * their answer, and time. Reaching one is a clear answer (or, for a connection over the count or a
 * stalled one, a close), never an unbounded allocation.
 *
 * @param maxConnections              client connections at once; more are closed at accept
 * @param maxRequestBytes             largest request frame; a larger one is answered INVALID and its bytes
 *                                    discarded as they arrive, without buffering
 * @param maxConnectionInflightBytes  request bytes one connection may have received and not yet had answered
 * @param maxTotalInflightBytes       the same over all connections; past either, requests get OVERLOADED
 * @param idleTimeoutMillis           a connection with nothing in flight and no traffic this long is closed
 * @param requestReadTimeoutMillis    a request whose bytes have not all arrived this long after its first
 *                                    byte closes the connection (one byte a second holds nothing for long)
 */
public record ClientPortLimits(
        int maxConnections,
        int maxRequestBytes,
        long maxConnectionInflightBytes,
        long maxTotalInflightBytes,
        long idleTimeoutMillis,
        long requestReadTimeoutMillis) {
    public ClientPortLimits {
        if (maxConnections < 1
                || maxRequestBytes < 64
                || maxConnectionInflightBytes < maxRequestBytes
                || maxTotalInflightBytes < maxConnectionInflightBytes
                || idleTimeoutMillis < 1
                || requestReadTimeoutMillis < 1) {
            throw new IllegalArgumentException("client port limits: connections >= 1, request >= 64 B, "
                    + "per-connection >= request, total >= per-connection, timeouts >= 1 ms");
        }
    }

    public static ClientPortLimits defaults() {
        // A request is a command of at most a 1 KiB key and two 1 MiB values, plus framing.
        return new ClientPortLimits(1024, (2 << 20) + 4096, 16L << 20, 128L << 20, 300_000, 10_000);
    }

    public ClientPortLimits withMaxConnections(int n) {
        return new ClientPortLimits(
                n,
                maxRequestBytes,
                maxConnectionInflightBytes,
                maxTotalInflightBytes,
                idleTimeoutMillis,
                requestReadTimeoutMillis);
    }

    public ClientPortLimits withTimeouts(long idleMillis, long requestReadMillis) {
        return new ClientPortLimits(
                maxConnections,
                maxRequestBytes,
                maxConnectionInflightBytes,
                maxTotalInflightBytes,
                idleMillis,
                requestReadMillis);
    }

    public ClientPortLimits withInflightBytes(long perConnection, long total) {
        return new ClientPortLimits(
                maxConnections, maxRequestBytes, perConnection, total, idleTimeoutMillis, requestReadTimeoutMillis);
    }
}
