package dev.linden.kvnode.net;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

/**
 * What the peer port lets a connection hold before its Hello is accepted ({@link PeerPortLimits}): it
 * counts connections (all, and pending), refuses one at accept past either count or when file handles
 * run short ({@link FileHandleReserve}), closes one whose Hello has not been accepted within the Hello
 * timeout, and raises the frame limit from a Hello's few KiB to the normal maximum only once the peer
 * is known ({@link #helloAccepted}).
 */
final class PeerPortGuard {
    private static final Logger LOG = Logger.getLogger(PeerPortGuard.class.getName());
    private static final AttributeKey<Pending> PENDING = AttributeKey.valueOf("linden.peer.pending");

    private final PeerPortLimits limits;
    private final FileHandleReserve fileHandles;
    private final int maxFrameBytes;
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger pendingConnections = new AtomicInteger();
    private final RefusalLog refusals = new RefusalLog(LOG, System::currentTimeMillis);

    /** A connection not yet past its Hello. */
    private static final class Pending {
        final boolean counted;
        ScheduledFuture<?> helloTimer;
        boolean done;

        Pending(boolean counted) {
            this.counted = counted;
        }
    }

    PeerPortGuard(PeerPortLimits limits, FileHandleReserve fileHandles, int maxFrameBytes) {
        this.limits = limits;
        this.fileHandles = fileHandles;
        this.maxFrameBytes = maxFrameBytes;
    }

    /**
     * Puts this port's frame decoder (a Hello's few KiB until {@link #helloAccepted}, a read timeout) in
     * place of the pipeline's "frames" and starts the Hello timer. Called from the channel initializer,
     * before any byte is read, so the swap loses nothing.
     */
    void guardPipeline(Channel ch) {
        ch.pipeline()
                .replace(
                        "frames",
                        "frames",
                        new PeerFrameDecoder(limits.maxHelloFrameBytes(), limits.frameReadTimeoutMillis()));
        startHelloTimer(ch);
    }

    /**
     * At accept: whether the connection may stay (else it is closed here). A kept one is counted until it
     * closes, as pending until {@link #helloAccepted}.
     */
    boolean admitAccepted(Channel ch) {
        String refusal = null;
        if (connections.incrementAndGet() > limits.maxPeerConnections()) {
            refusal = "max-peer-connections limit=" + limits.maxPeerConnections();
        } else if (pendingConnections.incrementAndGet() > limits.maxPendingPeerConnections()) {
            pendingConnections.decrementAndGet();
            refusal = "max-pending-peer-connections limit=" + limits.maxPendingPeerConnections();
        } else if (!fileHandles.tryTake()) {
            pendingConnections.decrementAndGet();
            refusal = "file-handle-reserve reserve=" + fileHandles.reserveFileHandles();
        }
        if (refusal != null) {
            connections.decrementAndGet();
            int space = refusal.indexOf(' ');
            refusals.refused("peer-connection-refused", refusal.substring(0, space), refusal.substring(space + 1));
            ch.close();
            return false;
        }
        Pending p = new Pending(true);
        ch.attr(PENDING).set(p);
        ch.closeFuture().addListener(f -> {
            connections.decrementAndGet();
            finishPending(ch, p);
        });
        return true;
    }

    /** A dialed connection: not counted against the port's limits, but held to the same Hello rules. */
    void dialed(Channel ch) {
        Pending p = new Pending(false);
        ch.attr(PENDING).set(p);
        ch.closeFuture().addListener(f -> finishPending(ch, p));
    }

    private void startHelloTimer(Channel ch) {
        Pending p = ch.attr(PENDING).get();
        if (p == null || p.done) {
            return;
        }
        p.helloTimer = ch.eventLoop()
                .schedule(
                        () -> {
                            if (!p.done) {
                                refusals.refused(
                                        "peer-connection-closed",
                                        "hello-timeout",
                                        "limit-ms=" + limits.helloTimeoutMillis() + " remote=" + ch.remoteAddress());
                                ch.close();
                            }
                        },
                        limits.helloTimeoutMillis(),
                        TimeUnit.MILLISECONDS);
    }

    /** The peer's Hello was accepted: full frames from now on, no Hello timer, no longer pending. */
    void helloAccepted(Channel ch) {
        Pending p = ch.attr(PENDING).get();
        if (p != null) {
            finishPending(ch, p);
        }
        if (ch.pipeline().get("frames") instanceof PeerFrameDecoder frames) {
            frames.raiseMax(maxFrameBytes);
        }
    }

    private void finishPending(Channel ch, Pending p) {
        // Runs on the channel's event loop (Hello, close listener), so `done` needs no lock.
        if (p.done) {
            return;
        }
        p.done = true;
        if (p.counted) {
            pendingConnections.decrementAndGet();
        }
        if (p.helloTimer != null) {
            p.helloTimer.cancel(false);
        }
    }

    /** An accepted connection not past its Hello failed (a bad frame, a stalled one): closed, logged rate-limited. */
    void strangerFailed(Channel ch, String reason) {
        // Also when the channel is already closed: a failed TLS handshake closes it before this is told, and an
        // operator must see those (rate-limited, so the frames after a first failure cost nothing).
        refusals.refused(
                "peer-connection-closed",
                "before-hello",
                "remote=" + ch.remoteAddress() + " detail=\"" + reason + "\"");
    }

    int connections() {
        return connections.get();
    }

    int pendingConnections() {
        return pendingConnections.get();
    }
}
