package dev.linden.kvnode.net;

import dev.linden.kvnode.node.RaftNode;
import dev.linden.kvnode.raft.Role;
import dev.linden.kvnode.service.ClientResponse;
import dev.linden.kvnode.service.KvService;
import dev.linden.kvnode.stats.LatencyTimes;
import dev.linden.kvnode.tls.NodeSecurity;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.logging.Logger;

/**
 * The client port on Netty: sockets, TLS, the client token, timers and the outbox, around the
 * transport-free {@link ClientPort} (which the simulator runs too). It decodes requests, hands them to
 * {@link KvService} (which queues them on the raft stage) and writes answers back. What clients can
 * hold is bounded ({@link ClientPortLimits}): the connection count, request bytes received or awaiting
 * an answer (per connection and in all), the time a request may take to arrive, and idle connections.
 * Past a byte bound, or while the node is overloaded, the answer is OVERLOADED at once; a request over
 * the size limit is answered INVALID. Only a frame that breaks the framing itself closes its connection,
 * never the node.
 */
public final class ClientServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ClientServer.class.getName());
    private static final long STALL_CHECK_MILLIS = 500;

    private final InetSocketAddress address;
    private final EventLoopGroup group;
    private final RaftNode node;
    private final ClientPortLimits limits;
    /** What the port takes and answers, without Netty: the simulator runs the same. */
    private final ClientPort port;
    /**
     * A leader whose port refused new clients, every connection busy, for this long hands leadership over
     * (at most once per cooldown): its clients stay, new ones find another leader.
     */
    static final long FULL_PORT_FAILOVER_MILLIS = 10_000;

    static final long FULL_PORT_FAILOVER_COOLDOWN_MILLIS = 60_000;
    private final ClientConnections open;
    private final FullPortFailover failover;
    private final FileHandleReserve fileHandles;

    private final RefusalLog refusals = new RefusalLog(LOG, System::currentTimeMillis);
    private Channel server;

    public ClientServer(
            InetSocketAddress address,
            EventLoopGroup group,
            KvService service,
            RaftNode node,
            BooleanSupplier overloaded,
            ClientPortLimits limits) {
        this(
                address,
                group,
                service,
                node,
                overloaded,
                limits,
                FileHandleReserve.ofProcess(FileHandleReserve.DEFAULT_RESERVE_FILE_HANDLES));
    }

    /** @param fileHandles  kept free for storage: past it, new connections are refused at accept */
    public ClientServer(
            InetSocketAddress address,
            EventLoopGroup group,
            KvService service,
            RaftNode node,
            BooleanSupplier overloaded,
            ClientPortLimits limits,
            FileHandleReserve fileHandles) {
        this.open = new ClientConnections(limits.maxConnections());
        this.failover = new FullPortFailover(
                FULL_PORT_FAILOVER_MILLIS,
                FULL_PORT_FAILOVER_COOLDOWN_MILLIS,
                System::currentTimeMillis,
                this::transferTarget,
                target -> node.transferLeadership(target).whenComplete((leader, err) -> {
                    if (err != null) {
                        LOG.warning("event=leadership-handover-failed to=" + target + " detail=\"" + err.getMessage()
                                + "\"");
                    }
                }));
        this.fileHandles = fileHandles;
        this.address = address;
        this.group = group;
        this.node = node;
        this.limits = limits;
        this.port = new ClientPort(service, node, overloaded, limits, System::nanoTime);
    }

    /** TLS on the client port (and client certificates), or plain. */
    private volatile NodeSecurity security = NodeSecurity.insecure();

    /** Clients must use TLS as {@code security} says. Call before {@link #start()}. */
    public void secure(NodeSecurity security) {
        this.security = security;
    }

    public void start() throws InterruptedException {
        server = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(1 << 20, 8 << 20))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (!fileHandles.tryTake()) {
                            refusals.refused(
                                    "client-connection-refused",
                                    "file-handle-reserve",
                                    "reserve=" + fileHandles.reserveFileHandles());
                            ch.close();
                            return;
                        }
                        ClientConnections.Admission admission = open.tryOpen();
                        if (!admission.admitted()) {
                            refusals.refused(
                                    "client-connection-refused",
                                    "max-connections-all-busy",
                                    "limit=" + limits.maxConnections());
                            ch.close();
                            failover.refused();
                            return;
                        }
                        if (admission.evicted() != null) {
                            refusals.refused(
                                    "client-connection-evicted", "port-full-idle", "limit=" + limits.maxConnections());
                        }
                        Handler handler = new Handler(ch);
                        open.opened(handler);
                        ch.closeFuture().addListener(f -> open.closed(handler));
                        FrameCodec.installClientPort(
                                ch.pipeline(),
                                limits.idleTimeoutMillis(),
                                new ClientFrameDecoder(handler.connection.reader()),
                                handler);
                        security.secureClientPort(ch);
                    }
                })
                .bind(address)
                .sync()
                .channel();
    }

    /** Another voter to hand leadership to (the lowest id), or 0 if this node does not lead or leads alone. */
    private int transferTarget() {
        if (node.role() != Role.LEADER) {
            return 0;
        }
        for (int voter : node.membership().voters()) {
            if (voter != node.id()) {
                return voter;
            }
        }
        return 0;
    }

    /** Client connections open now. */
    public int connections() {
        return open.count();
    }

    /** Each KV request's time on this node, from arrival to its answer written. */
    public LatencyTimes requestTimes() {
        return port.requestTimes();
    }

    /** Each KV answer's time from ready to written. */
    public LatencyTimes replyTimes() {
        return port.replyTimes();
    }

    /** Request bytes received and not yet answered, over all connections. */
    public long inflightBytes() {
        return port.inflightBytes();
    }

    /** One connection: Netty's side of a {@link ClientPortConnection} (TLS, token, timers, the outbox). */
    private final class Handler extends SimpleChannelInboundHandler<Object>
            implements ClientConnections.Connection, ClientPortConnection.Link {
        private final Channel channel;
        final ClientPortConnection connection;
        private ChannelOutbox outbox;
        private ScheduledFuture<?> stallCheck;

        Handler(Channel channel) {
            this.channel = channel;
            this.connection = port.open(this);
        }

        @Override
        public boolean idle() {
            return connection.idle();
        }

        @Override
        public long lastActiveNanos() {
            return connection.lastActiveNanos();
        }

        @Override
        public void evict() {
            channel.close();
        }

        @Override
        public boolean queueAnswer(ClientResponse answer, Runnable written) {
            return outbox.offer(answer, written);
        }

        @Override
        public void write(Object answer) {
            channel.writeAndFlush(answer, channel.voidPromise());
        }

        @Override
        public boolean mayAdminister() {
            return security.mayAdminister(channel);
        }

        @Override
        public String remote() {
            return String.valueOf(channel.remoteAddress());
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            outbox = new ChannelOutbox(ctx.channel(), 2 * ClientPort.MAX_INFLIGHT_PER_CONNECTION);
            stallCheck = ctx.executor()
                    .scheduleAtFixedRate(
                            () -> {
                                long ageNanos = connection.reader().partialFrameAgeNanos(System.nanoTime());
                                if (ageNanos > TimeUnit.MILLISECONDS.toNanos(limits.requestReadTimeoutMillis())) {
                                    refusals.refused(
                                            "client-connection-closed",
                                            "slow-request",
                                            "remote=" + ctx.channel().remoteAddress() + " partial-request-ms="
                                                    + ageNanos / 1_000_000);
                                    ctx.close();
                                }
                            },
                            STALL_CHECK_MILLIS,
                            STALL_CHECK_MILLIS,
                            TimeUnit.MILLISECONDS);
            super.channelActive(ctx);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            if (stallCheck != null) {
                stallCheck.cancel(false);
            }
            super.channelInactive(ctx);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof IdleStateEvent && connection.idle()) {
                ctx.close(); // idle: nothing asked, nothing owed
                return;
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
            connection.endOfRead();
            super.channelReadComplete(ctx);
        }

        /** Whether this connection presented the clients' token (always, when none is required). */
        private boolean authenticated = !security.requiresClientToken();

        /** Before the token: only an Auth frame is taken; anything else, or a wrong token, closes the connection. */
        private boolean refusedAuthentication;

        private void authenticate(Channel ch, Object in) {
            if (refusedAuthentication) {
                if (in instanceof ClientFrameReader.Received r) {
                    r.release(); // frames read in the same burst as the refused one: dropped with the connection
                }
                return;
            }
            Object msg = in instanceof ClientFrameReader.Received r ? r.message : null;
            if (in instanceof ClientFrameReader.Received r) {
                r.release();
            }
            String why;
            if (msg instanceof Wire.Auth a) {
                if (security.clientTokenMatches(a.token())) {
                    authenticated = true;
                    return;
                }
                why = "authentication failed: wrong token";
            } else {
                why = "authenticate first: this node requires a client token";
            }
            refusedAuthentication = true;
            LOG.warning("event=client-connection-closed reason=authentication remote=" + ch.remoteAddress()
                    + " detail=\"" + why + "\"");
            ch.writeAndFlush(ClientResponse.refused(0, ClientResponse.Status.INVALID, node.leaderHint(), why))
                    .addListener(ChannelFutureListener.CLOSE);
        }

        /** Whether this connection's certificate was checked (at its first frame, once the handshake is over). */
        private boolean admitted;

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Object in) {
            Channel ch = ctx.channel();
            if (!admitted) {
                String problem = security.clientProblem(ch);
                if (problem != null) {
                    if (in instanceof ClientFrameReader.Received r) {
                        r.release();
                    }
                    LOG.warning("event=client-connection-closed reason=certificate remote=" + ch.remoteAddress()
                            + " detail=\"" + problem + "\"");
                    ch.close();
                    return;
                }
                admitted = true;
            }
            if (!authenticated) {
                authenticate(ch, in);
                return;
            }
            connection.accept(in);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.warning("event=client-connection-closed reason=bad-frame remote="
                    + ctx.channel().remoteAddress() + " detail=\"" + ConnectionErrors.reason(cause) + "\"");
            ctx.close();
        }
    }

    @Override
    public void close() {
        if (server != null) {
            server.close();
        }
    }
}
