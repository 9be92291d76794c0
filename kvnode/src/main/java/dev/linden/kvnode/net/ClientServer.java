package dev.linden.kvnode.net;

import dev.linden.kvnode.node.MembershipChangeEndedException;
import dev.linden.kvnode.node.NodeException;
import dev.linden.kvnode.node.RaftNode;
import dev.linden.kvnode.raft.MembershipChange;
import dev.linden.kvnode.raft.Ready;
import dev.linden.kvnode.raft.Role;
import dev.linden.kvnode.service.ClientRequest;
import dev.linden.kvnode.service.ClientResponse;
import dev.linden.kvnode.service.KvService;
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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.logging.Logger;

/**
 * The client port: decodes requests, hands them to {@link KvService} (which queues them on the raft
 * stage) and writes answers back. What clients can hold is bounded ({@link ClientPortLimits}): the
 * connection count, request bytes received or awaiting an answer (per connection and in all), the time
 * a request may take to arrive, and idle connections. Past a byte bound, or while the node is
 * overloaded, the answer is OVERLOADED at once; a request over the size limit is answered INVALID. Only
 * a frame that breaks the framing itself closes its connection, never the node.
 */
public final class ClientServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ClientServer.class.getName());
    public static final int MAX_INFLIGHT_PER_CONNECTION = 16_384;
    /**
     * Most bytes of answers queued to one connection and not yet written to its socket: 16 answers of the
     * largest size. A client that pipelines commands answering a mebibyte each (CAS mismatches, APPENDs)
     * faster than it reads them would otherwise hold the node's heap with its answers.
     */
    public static final long MAX_ANSWER_BYTES_QUEUED_PER_CONNECTION = 16L << 20;
    /** Most bytes of answers queued over all connections: a quarter of a 256 MiB heap. */
    public static final long MAX_ANSWER_BYTES_QUEUED_TOTAL = 64L << 20;

    private static final long STALL_CHECK_MILLIS = 500;
    private static final String NOT_ADMIN = "not allowed: membership changes and leadership transfers need an admin's "
            + "or a node's certificate of this cluster";

    private final InetSocketAddress address;
    private final EventLoopGroup group;
    private final KvService service;
    private final RaftNode node;
    private final BooleanSupplier overloaded;
    private final ClientPortLimits limits;
    /**
     * A leader whose port refused new clients, every connection busy, for this long hands leadership over
     * (at most once per cooldown): its clients stay, new ones find another leader.
     */
    static final long FULL_PORT_FAILOVER_MILLIS = 10_000;

    static final long FULL_PORT_FAILOVER_COOLDOWN_MILLIS = 60_000;
    private final ClientConnections open;
    private final FullPortFailover failover;
    private final FileHandleReserve fileHandles;
    private final AtomicLong inflightBytes = new AtomicLong();
    /** Bytes of answers queued to all connections and not yet written (at most MAX_ANSWER_BYTES_QUEUED_TOTAL). */
    private final AtomicLong answerBytesQueued = new AtomicLong();
    /** Answers replaced by UNKNOWN for lack of room to queue them (logged once per thousand). */
    private final AtomicLong answersNotQueued = new AtomicLong();

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
        this.service = service;
        this.node = node;
        this.overloaded = overloaded;
        this.limits = limits;
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
                        ClientFrameDecoder decoder = new ClientFrameDecoder(
                                limits.maxRequestBytes(),
                                new ClientFrameDecoder.Budget(
                                        inflightBytes,
                                        limits.maxConnectionInflightBytes(),
                                        limits.maxTotalInflightBytes()));
                        Handler handler = new Handler(decoder, ch);
                        open.opened(handler);
                        ch.closeFuture().addListener(f -> open.closed(handler));
                        FrameCodec.installClientPort(ch.pipeline(), limits.idleTimeoutMillis(), decoder, handler);
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

    /** Request bytes received and not yet answered, over all connections. */
    public long inflightBytes() {
        return inflightBytes.get();
    }

    private final class Handler extends SimpleChannelInboundHandler<Object> implements ClientConnections.Connection {
        private final ClientFrameDecoder decoder;
        private final Channel channel;
        /** When a request last arrived or an answer was last queued (System.nanoTime). */
        private volatile long lastActiveNanos = System.nanoTime();

        private final AtomicInteger inflight = new AtomicInteger();
        private final ArrayList<ClientRequest> burst = new ArrayList<>();
        private final ArrayList<ClientFrameDecoder.Received> burstReservations = new ArrayList<>();
        private ChannelOutbox outbox;
        private ScheduledFuture<?> stallCheck;
        /** Bytes of answers queued to this connection and not yet written. */
        private final AtomicLong answerBytes = new AtomicLong();

        Handler(ClientFrameDecoder decoder, Channel channel) {
            this.decoder = decoder;
            this.channel = channel;
        }

        @Override
        public boolean idle() {
            return inflight.get() == 0 && decoder.partialFrameAgeNanos(System.nanoTime()) == 0;
        }

        @Override
        public long lastActiveNanos() {
            return lastActiveNanos;
        }

        @Override
        public void evict() {
            channel.close();
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            outbox = new ChannelOutbox(ctx.channel(), 2 * MAX_INFLIGHT_PER_CONNECTION);
            stallCheck = ctx.executor()
                    .scheduleAtFixedRate(
                            () -> {
                                long ageNanos = decoder.partialFrameAgeNanos(System.nanoTime());
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
            if (evt instanceof IdleStateEvent
                    && inflight.get() == 0
                    && decoder.partialFrameAgeNanos(System.nanoTime()) == 0) {
                ctx.close(); // idle: nothing asked, nothing owed
                return;
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
            if (!burst.isEmpty()) {
                List<ClientRequest> batch = new ArrayList<>(burst);
                List<ClientFrameDecoder.Received> held = new ArrayList<>(burstReservations);
                burst.clear();
                burstReservations.clear();
                Map<Long, ClientFrameDecoder.Received> byId = new HashMap<>();
                for (int i = 0; i < batch.size(); i++) {
                    if (byId.putIfAbsent(batch.get(i).requestId(), held.get(i)) != null) {
                        held.get(i).release(); // a request id used twice: never leak its reservation
                    }
                }
                service.handleAll(batch, resp -> {
                    ClientFrameDecoder.Received r;
                    synchronized (byId) {
                        r = byId.remove(resp.requestId());
                    }
                    if (r != null) {
                        r.release();
                    }
                    inflight.decrementAndGet();
                    lastActiveNanos = System.nanoTime();
                    answer(resp);
                });
            }
            super.channelReadComplete(ctx);
        }

        /**
         * Queues an answer within the answer byte bounds. One that does not fit is replaced by UNKNOWN (its
         * command was applied, or may have been): the client retries it, and gets the answer the cluster
         * kept for it, or SESSION_EXPIRED; never a wrong one. The bytes are released once written.
         */
        private void answer(ClientResponse resp) {
            long bytes = resp.encodedResult() == null ? 0 : resp.encodedResult().length;
            if (bytes == 0) {
                outbox.offer(resp);
                return;
            }
            long mine = answerBytes.addAndGet(bytes);
            long all = answerBytesQueued.addAndGet(bytes);
            if (mine > MAX_ANSWER_BYTES_QUEUED_PER_CONNECTION || all > MAX_ANSWER_BYTES_QUEUED_TOTAL) {
                answerBytes.addAndGet(-bytes);
                answerBytesQueued.addAndGet(-bytes);
                if (answersNotQueued.getAndIncrement() % 1000 == 0) {
                    LOG.warning("event=answer-not-queued reason=answer-bytes-bound remote="
                            + outbox.channel().remoteAddress() + " connection-bytes=" + mine + " total-bytes=" + all
                            + " limit-per-connection=" + MAX_ANSWER_BYTES_QUEUED_PER_CONNECTION + " limit-total="
                            + MAX_ANSWER_BYTES_QUEUED_TOTAL + " so-far=" + answersNotQueued.get());
                }
                outbox.offer(new ClientResponse(
                        resp.requestId(), ClientResponse.Status.UNKNOWN, resp.leaderHint(), (byte[]) null));
                return;
            }
            Runnable release = () -> {
                answerBytes.addAndGet(-bytes);
                answerBytesQueued.addAndGet(-bytes);
            };
            if (!outbox.offer(resp, release)) {
                release.run();
            }
        }

        /** A change that ended for good is final; anything else (not the leader, stopping, busy) is asked again. */
        private static Wire.MembershipResponse.Outcome membershipOutcome(Throwable cause) {
            if (cause instanceof MembershipChangeEndedException e) {
                return e.why() == MembershipChangeEndedException.Why.REFUSED
                        ? Wire.MembershipResponse.Outcome.REFUSED
                        : Wire.MembershipResponse.Outcome.TIMED_OUT;
            }
            return Wire.MembershipResponse.Outcome.NOT_LEADER;
        }

        /** One membership change asked on the client port; answered once committed, refused or redirected. */
        private void changeMembership(Channel ch, Wire.MembershipRequest req) {
            MembershipChange change;
            try {
                change = new MembershipChange(MembershipChange.Kind.valueOf(req.kind()), req.nodeId(), req.address());
            } catch (IllegalArgumentException e) {
                ch.writeAndFlush(
                        new Wire.MembershipResponse(
                                req.requestId(),
                                Wire.MembershipResponse.Outcome.REFUSED,
                                node.leaderHint(),
                                "bad membership change: " + e.getMessage()),
                        ch.voidPromise());
                return;
            }
            node.changeMembership(change).whenComplete((m, err) -> {
                Throwable cause = err instanceof CompletionException ce && ce.getCause() != null ? ce.getCause() : err;
                int leader = cause instanceof NodeException ne ? ne.leaderHint() : node.leaderHint();
                ch.writeAndFlush(
                        err == null
                                ? new Wire.MembershipResponse(
                                        req.requestId(),
                                        Wire.MembershipResponse.Outcome.COMMITTED,
                                        node.id(),
                                        change + ": " + m)
                                : new Wire.MembershipResponse(
                                        req.requestId(), membershipOutcome(cause), leader, cause.getMessage()),
                        ch.voidPromise());
            });
        }

        /** Whether this connection presented the clients' token (always, when none is required). */
        private boolean authenticated = !security.requiresClientToken();

        /** Before the token: only an Auth frame is taken; anything else, or a wrong token, closes the connection. */
        private boolean refusedAuthentication;

        private void authenticate(Channel ch, Object in) {
            if (refusedAuthentication) {
                if (in instanceof ClientFrameDecoder.Received r) {
                    r.release(); // frames read in the same burst as the refused one: dropped with the connection
                }
                return;
            }
            Object msg = in instanceof ClientFrameDecoder.Received r ? r.message : null;
            if (in instanceof ClientFrameDecoder.Received r) {
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
            lastActiveNanos = System.nanoTime();
            if (!admitted) {
                String problem = security.clientProblem(ch);
                if (problem != null) {
                    if (in instanceof ClientFrameDecoder.Received r) {
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
            if (in instanceof ClientFrameDecoder.Refused r) {
                ch.writeAndFlush(
                        ClientResponse.refused(r.requestId(), r.status(), node.leaderHint(), r.reason()),
                        ch.voidPromise());
                return;
            }
            ClientFrameDecoder.Received received = (ClientFrameDecoder.Received) in;
            Object msg = received.message;
            if (msg instanceof ClientRequest req) {
                // Half the answer bound queued already: refuse before proposing (OVERLOADED is definite, the
                // client retries shortly), so a reader slower than its pipeline is slowed down rather than have
                // its answers replaced by UNKNOWN past the bound.
                if (inflight.get() >= MAX_INFLIGHT_PER_CONNECTION
                        || overloaded.getAsBoolean()
                        || answerBytes.get() >= MAX_ANSWER_BYTES_QUEUED_PER_CONNECTION / 2) {
                    received.release();
                    ch.writeAndFlush(
                            new ClientResponse(
                                    req.requestId(), ClientResponse.Status.OVERLOADED, node.leaderHint(), (byte[])
                                            null),
                            ch.voidPromise());
                    return;
                }
                inflight.incrementAndGet();
                burst.add(req);
                burstReservations.add(received);
                return;
            }
            received.release();
            if (msg instanceof Wire.InvalidRequest bad) {
                ch.writeAndFlush(
                        ClientResponse.refused(
                                bad.requestId(), ClientResponse.Status.INVALID, node.leaderHint(), bad.reason()),
                        ch.voidPromise());
            } else if (msg instanceof Wire.TransferRequest req && !security.mayAdminister(ch)) {
                ch.writeAndFlush(
                        new Wire.TransferResponse(req.requestId(), false, node.leaderHint(), NOT_ADMIN),
                        ch.voidPromise());
            } else if (msg instanceof Wire.MembershipRequest req && !security.mayAdminister(ch)) {
                ch.writeAndFlush(
                        new Wire.MembershipResponse(
                                req.requestId(), Wire.MembershipResponse.Outcome.REFUSED, node.leaderHint(), NOT_ADMIN),
                        ch.voidPromise());
            } else if (msg instanceof Wire.TransferRequest req) {
                node.transferLeadership(req.target()).whenComplete((leader, err) -> {
                    Wire.TransferResponse resp = err == null
                            ? new Wire.TransferResponse(req.requestId(), true, leader, "node " + leader + " leads")
                            : new Wire.TransferResponse(
                                    req.requestId(),
                                    false,
                                    node.leaderHint(),
                                    err instanceof CompletionException ce && ce.getCause() != null
                                            ? ce.getCause().getMessage()
                                            : err.getMessage());
                    ch.writeAndFlush(resp, ch.voidPromise());
                });
            } else if (msg instanceof Wire.MembershipRequest req) {
                changeMembership(ch, req);
            } else if (msg instanceof Wire.StatusRequest req) {
                Ready.SoftState s = node.softState();
                ch.writeAndFlush(
                        new Wire.StatusResponse(
                                req.requestId(),
                                node.id(),
                                s.role().name(),
                                s.term(),
                                s.leaderId(),
                                s.commitIndex(),
                                s.appliedIndex()),
                        ch.voidPromise());
            } else {
                throw new Wire.BadFrameException(
                        "unexpected " + msg.getClass().getSimpleName() + " on the client port");
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.warning("event=client-connection-closed reason=bad-frame remote="
                    + ctx.channel().remoteAddress() + " detail=\"" + PeerTransport.reason(cause) + "\"");
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
