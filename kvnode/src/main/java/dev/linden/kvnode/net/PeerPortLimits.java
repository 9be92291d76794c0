package dev.linden.kvnode.net;

/**
 * Bounds on what connections to the peer port can hold of a node before and after their Hello. A
 * connection is "pending" from accept (or dial) until the peer's Hello is accepted; a stranger never
 * gets past pending, so these bound what anyone on the network can cost a node.
 *
 * @param maxPeerConnections         peer connections at once, pending or not (accepted ones; each node
 *                                   keeps one per peer, so a handful suffices); more are closed at accept
 * @param maxPendingPeerConnections  accepted connections whose Hello is not yet accepted
 * @param helloTimeoutMillis         a connection whose Hello is not accepted this long after it opened is
 *                                   closed, whatever it sends meanwhile
 * @param maxHelloFrameBytes         largest frame before the Hello is accepted (a Hello is tens of bytes)
 * @param frameReadTimeoutMillis     a frame whose bytes have not all arrived this long after its first
 *                                   byte closes the connection
 */
public record PeerPortLimits(
        int maxPeerConnections,
        int maxPendingPeerConnections,
        long helloTimeoutMillis,
        int maxHelloFrameBytes,
        long frameReadTimeoutMillis) {
    public PeerPortLimits {
        if (maxPendingPeerConnections < 1
                || maxPeerConnections < maxPendingPeerConnections
                || helloTimeoutMillis < 1
                || maxHelloFrameBytes < 64
                || frameReadTimeoutMillis < 1) {
            throw new IllegalArgumentException(
                    "peer port limits: pending >= 1, all >= pending, hello frame >= 64 B, " + "timeouts >= 1 ms");
        }
    }

    public static PeerPortLimits defaults() {
        // A full frame (16 MiB) moves in well under 30 s on any link a cluster can run on.
        return new PeerPortLimits(128, 32, 5_000, 4096, 30_000);
    }

    public PeerPortLimits withTimeouts(long helloMillis, long frameReadMillis) {
        return new PeerPortLimits(
                maxPeerConnections, maxPendingPeerConnections, helloMillis, maxHelloFrameBytes, frameReadMillis);
    }

    public PeerPortLimits withConnections(int all, int pending) {
        return new PeerPortLimits(all, pending, helloTimeoutMillis, maxHelloFrameBytes, frameReadTimeoutMillis);
    }
}
