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
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.InetSocketAddress;
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
    static final Logger LOG = Logger.getLogger(PeerTransport.class.getName());
    private static final long RECONNECT_MIN_MILLIS = 50;
    private static final long RECONNECT_MAX_MILLIS = 2_000;

    final int selfId;
    final String clusterId;
    final Map<Integer, InetSocketAddress> peers;
    private final EventLoopGroup group;
    final Consumer<List<Message>> inbound;
    final BooleanSupplier overloaded;
    private final int maxFrameBytes;
    private final int maxOutboundBytes;
    final Map<Integer, ChannelOutbox> channels = new ConcurrentHashMap<>();
    /** Messages queued for one peer beyond which new ones are dropped (Raft retransmits). */
    static final int MAX_QUEUED_PER_PEER = 65_536;

    final Map<Integer, Long> backoffMillis = new ConcurrentHashMap<>();
    /** Why the last attempt to reach a peer failed, until a Hello from it is accepted ({@link #linkProblem}). */
    final Map<Integer, String> linkProblems = new ConcurrentHashMap<>();

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
    volatile long incarnation;
    /** Peers' incarnations this node knows; a Hello of another one is refused (null: no check). */
    volatile PeerIncarnations incarnations;
    /** Told when a peer refuses this node's incarnation: (peer, reason). */
    volatile BiConsumer<Integer, String> onRefused = (p, r) -> {};

    /**
     * Checks peers' data dir incarnations ({@link PeerIncarnations}) and announces
     * this node's own; {@code onRefused} hears when a peer refuses this node. Call before {@link #start()}.
     */
    public void checkIncarnations(long selfIncarnation, PeerIncarnations known, BiConsumer<Integer, String> refused) {
        this.incarnation = selfIncarnation;
        this.incarnations = known;
        this.onRefused = refused;
    }

    /** How peers prove who they are: mutual TLS, or nothing if the operator chose --insecure. */
    volatile NodeSecurity security = NodeSecurity.insecure();

    /** Peers must present certificates ({@link NodeSecurity}). Call before {@link #start()}. */
    public void secure(NodeSecurity security) {
        this.security = security;
    }

    /** Bounds on connections not yet past their Hello; replace before {@link #start()} (tests). */
    volatile PeerPortGuard guard;

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
                            FrameCodec.install(ch.pipeline(), maxFrameBytes, new PeerConnection(PeerTransport.this, 0));
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
            InetSocketAddress a = ConnectionErrors.hostPort(address);
            if (a == null) {
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
                        FrameCodec.install(ch.pipeline(), maxFrameBytes, new PeerConnection(PeerTransport.this, peer));
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
                                "unreachable: no connection to " + peers.get(peer) + " ("
                                        + ConnectionErrors.reason(f.cause()) + ")");
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
