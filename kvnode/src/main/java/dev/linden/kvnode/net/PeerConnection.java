package dev.linden.kvnode.net;

import dev.linden.kvnode.raft.Message;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import java.io.IOException;
import java.util.ArrayList;

/** Reads one peer connection: a dialed one knows its peer; an accepted one learns it from its Hello. */
final class PeerConnection extends SimpleChannelInboundHandler<Object> {
    private final PeerTransport t;

    private int peer;
    private final ArrayList<Message> burst = new ArrayList<>();

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
        if (!burst.isEmpty()) {
            t.inbound.accept(new ArrayList<>(burst));
            burst.clear();
        }
        super.channelReadComplete(ctx);
    }

    PeerConnection(PeerTransport t, int peer) {
        this.t = t;
        this.peer = peer;
    }

    /** The peer's Hello was accepted: messages may flow. */
    private boolean verified;

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Wire.Hello h) {
            onHello(ctx, h);
            return;
        }
        if (!(msg instanceof Message m) || !verified) {
            throw new Wire.BadFrameException("unexpected " + msg.getClass().getSimpleName() + " on a peer connection");
        }
        if (m.from() != peer || m.to() != t.selfId) {
            throw new Wire.BadFrameException(
                    "message from " + m.from() + " to " + m.to() + " on the link with " + peer);
        }
        if (t.overloaded.getAsBoolean()) {
            t.dropped.incrementAndGet();
            return;
        }
        t.receivedMessages.incrementAndGet();
        burst.add(m);
    }

    private void onHello(ChannelHandlerContext ctx, Wire.Hello h) {
        if (h.refused()) {
            // A peer of our cluster refuses this node's t.incarnation (it may come after our own Hello was
            // answered): nothing this node says will be heard, so say why and let the node stop.
            ctx.close();
            // Only from the peer this link is with (the one dialed, or the one whose Hello was accepted):
            // a stranger's unsolicited refusal is no reason to stop.
            if (peer != 0
                    && h.nodeId() == peer
                    && t.clusterId.equals(h.clusterId())
                    && t.security.certificateProblem(ctx.channel(), h.nodeId()) == null) {
                PeerTransport.LOG.severe(
                        "event=refused-by-peer node=" + h.nodeId() + " reason=\"" + h.refusal() + "\"");
                t.onRefused.accept(h.nodeId(), h.refusal());
            }
            return;
        }
        boolean dialed = peer != 0;
        String forged = t.security.certificateProblem(ctx.channel(), h.nodeId());
        if (forged != null) {
            // Whatever the Hello says, only the certificate the cluster's CA signed names the peer.
            if (dialed) {
                t.linkProblems.put(peer, "refused: " + forged);
            }
            throw new Wire.BadFrameException("refusing a peer's hello: " + forged);
        }
        if (verified || !t.peers.containsKey(h.nodeId()) || (dialed ? h.nodeId() != peer : h.nodeId() >= t.selfId)) {
            throw new Wire.BadFrameException("unexpected hello from node " + h.nodeId());
        }
        if (!t.clusterId.equals(h.clusterId())) {
            if (dialed) {
                t.linkProblems.put(
                        peer,
                        "wrong cluster: node " + peer + " belongs to cluster " + h.clusterId()
                                + ", this node to cluster " + t.clusterId);
            } else {
                ctx.writeAndFlush(new Wire.Hello(t.selfId, t.clusterId, t.incarnation)); // so the dialer can say why
            }
            throw new Wire.BadFrameException("refusing node " + h.nodeId() + " of cluster " + h.clusterId()
                    + ": this node belongs to cluster " + t.clusterId);
        }
        String refusal;
        try {
            refusal = t.incarnations == null ? null : t.incarnations.admit(h.nodeId(), h.incarnation());
        } catch (IOException e) {
            // Not a refusal (that would stop the peer): nothing is taken from it until its t.incarnation can
            // be recorded; the link closes and is dialed again.
            PeerTransport.LOG.warning("event=peer-deferred node=" + h.nodeId()
                    + " reason=\"its t.incarnation could not be " + "recorded: " + e.getMessage() + "\"");
            t.linkProblems.put(h.nodeId(), "this node could not record its t.incarnation: " + e.getMessage());
            ctx.close();
            return;
        }
        if (refusal != null) {
            PeerTransport.LOG.warning("event=peer-refused node=" + h.nodeId() + " reason=\"" + refusal + "\"");
            t.linkProblems.put(h.nodeId(), "refused: " + refusal);
            ctx.writeAndFlush(new Wire.Hello(t.selfId, t.clusterId, t.incarnation, refusal))
                    .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        t.linkProblems.remove(h.nodeId());
        verified = true;
        t.guard.helloAccepted(ctx.channel());
        peer = h.nodeId();
        ChannelOutbox mine = new ChannelOutbox(ctx.channel(), PeerTransport.MAX_QUEUED_PER_PEER);
        ChannelOutbox old = t.channels.put(peer, mine);
        if (old != null && old.channel() != ctx.channel()) {
            old.channel().close();
        }
        ctx.channel().closeFuture().addListener(c -> t.channels.remove(h.nodeId(), mine));
        if (dialed) {
            t.backoffMillis.remove(peer);
        } else {
            ctx.writeAndFlush(new Wire.Hello(t.selfId, t.clusterId, t.incarnation));
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        t.closedForErrors.incrementAndGet();
        if (!verified && peer == 0) {
            t.guard.strangerFailed(
                    ctx.channel(), ConnectionErrors.reason(cause)); // rate-limited: anyone can cause these
            ctx.close();
            return;
        }
        PeerTransport.LOG.warning(
                "closing peer connection " + ctx.channel().remoteAddress() + ": " + ConnectionErrors.reason(cause));
        ctx.close();
    }
}
