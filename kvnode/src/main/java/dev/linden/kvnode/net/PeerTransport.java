package dev.linden.kvnode.net;

import dev.linden.kvnode.node.Transport;
import dev.linden.kvnode.raft.Membership;
import dev.linden.kvnode.raft.Message;
import dev.linden.kvnode.tls.NodeSecurity;
import dev.linden.kvnode.wal.PeerIncarnations;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.NotSslRecordException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * Raft messages between nodes over TCP: one connection per pair of nodes (the lower id dials and sends
 * {@link Wire.Hello}, the other answers with its own; both directions then share it). A peer whose
 * cluster id differs from ours is refused before any Raft message crosses: nodes of different clusters
 * never exchange votes or entries, whatever their addresses. Outbound data per peer is bounded by the channel's
 * write-buffer high water mark: a message that would exceed it is dropped (Raft retransmits), so a slow
 * peer never costs unbounded memory. Inbound messages go straight to the node, which queues them on its
 * raft stage: no Raft work runs on Netty's event loop.
 */
public final class PeerTransport implements Transport, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(PeerTransport.class.getName());
    private static final long RECONNECT_MIN_MILLIS = 50;
    private static final long RECONNECT_MAX_MILLIS = 2_000;

    private final int selfId;
    private final String clusterId;
    private final Map<Integer, InetSocketAddress> peers;
    private final EventLoopGroup group;
    private final Consumer<List<Message>> inbound;
    private final BooleanSupplier overloaded;
    private final int maxFrameBytes;
    private final int maxOutboundBytes;
    private final Map<Integer, ChannelOutbox> channels = new ConcurrentHashMap<>();
    /** Messages queued for one peer beyond which new ones are dropped (Raft retransmits). */
    private static final int MAX_QUEUED_PER_PEER = 65_536;

    private final Map<Integer, Long> backoffMillis = new ConcurrentHashMap<>();
    /** Why the last attempt to reach a peer failed, until a Hello from it is accepted ({@link #linkProblem}). */
    private final Map<Integer, String> linkProblems = new ConcurrentHashMap<>();

    private volatile boolean closed;
    private volatile Channel server;
    public final AtomicLong dropped = new AtomicLong();
    public final AtomicLong sentMessages = new AtomicLong();
    public final AtomicLong sentEntries = new AtomicLong();
    public final AtomicLong receivedMessages = new AtomicLong();
    /** Peer connections closed for a bad frame, a failed handshake or a refused Hello. */
    public final AtomicLong closedForErrors = new AtomicLong();

    /**
     * @param peers             every node's peer address, this node's included
     * @param overloaded        true while the node cannot take more input (messages are then dropped)
     * @param maxOutboundBytes  per-peer bound on bytes queued for sending
     */
    public PeerTransport(
            int selfId,
            String clusterId,
            Map<Integer, InetSocketAddress> peers,
            EventLoopGroup group,
            Consumer<List<Message>> inbound,
            BooleanSupplier overloaded,
            int maxFrameBytes,
            int maxOutboundBytes) {
        this.selfId = selfId;
        this.clusterId = clusterId;
        this.peers = new ConcurrentHashMap<>(peers);
        this.group = group;
        this.inbound = inbound;
        this.overloaded = overloaded;
        this.maxFrameBytes = maxFrameBytes;
        this.maxOutboundBytes = maxOutboundBytes;
    }

    /** This node's data dir incarnation, announced in its Hello (0: none). */
    private volatile long incarnation;
    /** Peers' incarnations this node knows; a Hello of another one is refused (null: no check). */
    private volatile PeerIncarnations incarnations;
    /** Told when a peer refuses this node's incarnation: (peer, reason). */
    private volatile BiConsumer<Integer, String> onRefused = (p, r) -> {};

    /**
     * Checks peers' data dir incarnations ({@link dev.linden.kvnode.wal.PeerIncarnations}) and announces
     * this node's own; {@code onRefused} hears when a peer refuses this node. Call before {@link #start()}.
     */
    public void checkIncarnations(long selfIncarnation, PeerIncarnations known, BiConsumer<Integer, String> refused) {
        this.incarnation = selfIncarnation;
        this.incarnations = known;
        this.onRefused = refused;
    }

    /** How peers prove who they are: mutual TLS, or nothing if the operator chose --insecure. */
    private volatile NodeSecurity security = NodeSecurity.insecure();

    /** Peers must present certificates ({@link dev.linden.kvnode.tls.NodeSecurity}). Call before {@link #start()}. */
    public void secure(NodeSecurity security) {
        this.security = security;
    }

    /** Bounds on connections not yet past their Hello; replace before {@link #start()} (tests). */
    private volatile PeerPortGuard guard;

    /**
     * Bounds what connections to the peer port may hold before and after their Hello, and keeps
     * {@code fileHandles} free for storage. Call before {@link #start()}; without it, the defaults.
     */
    public void limitPort(PeerPortLimits limits, FileHandleReserve fileHandles) {
        this.guard = new PeerPortGuard(limits, fileHandles, maxFrameBytes);
    }

    public void start() throws InterruptedException {
        if (guard == null) {
            limitPort(
                    PeerPortLimits.defaults(),
                    FileHandleReserve.ofProcess(FileHandleReserve.DEFAULT_RESERVE_FILE_HANDLES));
        }
        server = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(
                        ChannelOption.WRITE_BUFFER_WATER_MARK,
                        new WriteBufferWaterMark(maxOutboundBytes / 2, maxOutboundBytes))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (guard.admitAccepted(ch)) {
                            FrameCodec.install(ch.pipeline(), maxFrameBytes, new Handler(0));
                            guard.guardPipeline(ch);
                            security.securePeer(ch, false);
                        }
                    }
                })
                .bind(peers.get(selfId))
                .sync()
                .channel();
        for (int peer : peers.keySet()) {
            if (peer > selfId) {
                dial(peer);
            }
        }
    }

    /**
     * A configuration names members this transport did not start with (a node added at run time): learn
     * their addresses and connect (the lower id dials, as at start). Members already known keep the
     * address they have; a member's address never changes under a running transport.
     */
    @Override
    public void updatePeers(Membership membership) {
        membership.addresses().forEach((id, address) -> {
            if (id == selfId || peers.containsKey(id)) {
                return;
            }
            int colon = address.lastIndexOf(':');
            if (colon <= 0) {
                LOG.warning("event=peer-address-ignored node=" + id + " address=\"" + address + "\"");
                return;
            }
            InetSocketAddress a;
            try {
                a = new InetSocketAddress(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1)));
            } catch (IllegalArgumentException e) {
                LOG.warning("event=peer-address-ignored node=" + id + " address=\"" + address + "\"");
                return;
            }
            if (peers.putIfAbsent(id, a) == null && id > selfId && server != null) {
                LOG.info("event=peer-added node=" + id + " address=" + address);
                dial(id);
            }
        });
    }

    private void dial(int peer) {
        if (closed) {
            return;
        }
        new Bootstrap()
                .group(group)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 2_000)
                .option(
                        ChannelOption.WRITE_BUFFER_WATER_MARK,
                        new WriteBufferWaterMark(maxOutboundBytes / 2, maxOutboundBytes))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        guard.dialed(ch);
                        FrameCodec.install(ch.pipeline(), maxFrameBytes, new Handler(peer));
                        guard.guardPipeline(ch);
                        security.securePeer(ch, true);
                    }
                })
                .connect(peers.get(peer))
                .addListener(f -> {
                    if (f.isSuccess()) {
                        // Registered for sending once the peer's Hello proves it is of our cluster.
                        Channel ch = ((ChannelFuture) f).channel();
                        ch.writeAndFlush(new Wire.Hello(selfId, clusterId, incarnation));
                        ch.closeFuture().addListener(c -> redial(peer));
                    } else {
                        linkProblems.put(
                                peer,
                                "unreachable: no connection to " + peers.get(peer) + " (" + reason(f.cause()) + ")");
                        redial(peer);
                    }
                });
    }

    @Override
    public String linkProblem(int peer) {
        return linkProblems.getOrDefault(peer, "");
    }

    private void redial(int peer) {
        if (closed) {
            return;
        }
        long delay =
                backoffMillis.merge(peer, RECONNECT_MIN_MILLIS, (old, x) -> Math.min(RECONNECT_MAX_MILLIS, old * 2));
        group.schedule(() -> dial(peer), delay, TimeUnit.MILLISECONDS);
    }

    @Override
    public void send(Message m) {
        ChannelOutbox box = channels.get(m.to());
        if (box == null || !box.channel().isActive() || !box.channel().isWritable() || !box.offer(m)) {
            dropped.incrementAndGet();
            return;
        }
        sentMessages.incrementAndGet();
        if (m instanceof Message.AppendRequest a) {
            sentEntries.addAndGet(a.entries().size());
        }
    }

    /** Reads one connection: a dialed one knows its peer; an accepted one learns it from Hello. */
    private final class Handler extends SimpleChannelInboundHandler<Object> {
        private int peer;
        private final ArrayList<Message> burst = new ArrayList<>();

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
            if (!burst.isEmpty()) {
                inbound.accept(new ArrayList<>(burst));
                burst.clear();
            }
            super.channelReadComplete(ctx);
        }

        Handler(int peer) {
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
                throw new Wire.BadFrameException(
                        "unexpected " + msg.getClass().getSimpleName() + " on a peer connection");
            }
            if (m.from() != peer || m.to() != selfId) {
                throw new Wire.BadFrameException(
                        "message from " + m.from() + " to " + m.to() + " on the link with " + peer);
            }
            if (overloaded.getAsBoolean()) {
                dropped.incrementAndGet();
                return;
            }
            receivedMessages.incrementAndGet();
            burst.add(m);
        }

        private void onHello(ChannelHandlerContext ctx, Wire.Hello h) {
            if (h.refused()) {
                // A peer of our cluster refuses this node's incarnation (it may come after our own Hello was
                // answered): nothing this node says will be heard, so say why and let the node stop.
                ctx.close();
                // Only from the peer this link is with (the one dialed, or the one whose Hello was accepted):
                // a stranger's unsolicited refusal is no reason to stop.
                if (peer != 0
                        && h.nodeId() == peer
                        && clusterId.equals(h.clusterId())
                        && security.certificateProblem(ctx.channel(), h.nodeId()) == null) {
                    LOG.severe("event=refused-by-peer node=" + h.nodeId() + " reason=\"" + h.refusal() + "\"");
                    onRefused.accept(h.nodeId(), h.refusal());
                }
                return;
            }
            boolean dialed = peer != 0;
            String forged = security.certificateProblem(ctx.channel(), h.nodeId());
            if (forged != null) {
                // Whatever the Hello says, only the certificate the cluster's CA signed names the peer.
                if (dialed) {
                    linkProblems.put(peer, "refused: " + forged);
                }
                throw new Wire.BadFrameException("refusing a peer's hello: " + forged);
            }
            if (verified || !peers.containsKey(h.nodeId()) || (dialed ? h.nodeId() != peer : h.nodeId() >= selfId)) {
                throw new Wire.BadFrameException("unexpected hello from node " + h.nodeId());
            }
            if (!clusterId.equals(h.clusterId())) {
                if (dialed) {
                    linkProblems.put(
                            peer,
                            "wrong cluster: node " + peer + " belongs to cluster " + h.clusterId()
                                    + ", this node to cluster " + clusterId);
                } else {
                    ctx.writeAndFlush(new Wire.Hello(selfId, clusterId, incarnation)); // so the dialer can say why
                }
                throw new Wire.BadFrameException("refusing node " + h.nodeId() + " of cluster " + h.clusterId()
                        + ": this node belongs to cluster " + clusterId);
            }
            String refusal;
            try {
                refusal = incarnations == null ? null : incarnations.admit(h.nodeId(), h.incarnation());
            } catch (IOException e) {
                // Not a refusal (that would stop the peer): nothing is taken from it until its incarnation can
                // be recorded; the link closes and is dialed again.
                LOG.warning("event=peer-deferred node=" + h.nodeId() + " reason=\"its incarnation could not be "
                        + "recorded: " + e.getMessage() + "\"");
                linkProblems.put(h.nodeId(), "this node could not record its incarnation: " + e.getMessage());
                ctx.close();
                return;
            }
            if (refusal != null) {
                LOG.warning("event=peer-refused node=" + h.nodeId() + " reason=\"" + refusal + "\"");
                linkProblems.put(h.nodeId(), "refused: " + refusal);
                ctx.writeAndFlush(new Wire.Hello(selfId, clusterId, incarnation, refusal))
                        .addListener(ChannelFutureListener.CLOSE);
                return;
            }
            linkProblems.remove(h.nodeId());
            verified = true;
            guard.helloAccepted(ctx.channel());
            peer = h.nodeId();
            ChannelOutbox mine = new ChannelOutbox(ctx.channel(), MAX_QUEUED_PER_PEER);
            ChannelOutbox old = channels.put(peer, mine);
            if (old != null && old.channel() != ctx.channel()) {
                old.channel().close();
            }
            ctx.channel().closeFuture().addListener(c -> channels.remove(h.nodeId(), mine));
            if (dialed) {
                backoffMillis.remove(peer);
            } else {
                ctx.writeAndFlush(new Wire.Hello(selfId, clusterId, incarnation));
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            closedForErrors.incrementAndGet();
            if (!verified && peer == 0) {
                guard.strangerFailed(ctx.channel(), reason(cause)); // rate-limited: anyone can cause these
                ctx.close();
                return;
            }
            LOG.warning("closing peer connection " + ctx.channel().remoteAddress() + ": " + reason(cause));
            ctx.close();
        }
    }

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

    /** Counters for the log at shutdown. */
    public String stats() {
        return "peer messages sent " + sentMessages + " (entries " + sentEntries + "), received " + receivedMessages
                + ", dropped " + dropped;
    }

    @Override
    public void close() {
        closed = true;
        if (server != null) {
            server.close();
        }
        channels.values().forEach(b -> b.channel().close());
    }
}
