package dev.linden.kvnode.client;

import dev.linden.kvnode.kv.KvCommand;
import dev.linden.kvnode.kv.KvRange;
import dev.linden.kvnode.kv.KvRangeResult;
import dev.linden.kvnode.kv.KvResult;
import dev.linden.kvnode.kv.KvTxn;
import dev.linden.kvnode.kv.KvTxnResult;
import dev.linden.kvnode.net.ChannelOutbox;
import dev.linden.kvnode.net.FrameCodec;
import dev.linden.kvnode.net.Wire;
import dev.linden.kvnode.raft.MembershipChange;
import dev.linden.kvnode.service.ClientRequest;
import dev.linden.kvnode.service.ClientResponse;
import dev.linden.kvnode.tls.ClientSecurity;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.FastThreadLocalThread;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * An asynchronous client of a Linden cluster. One connection per node, many requests in flight. Its
 * logic (sessions, leader finding, redirects, retries, the indeterminate-or-failed decision) is
 * {@link ClientCore}, which the simulator drives too; this class binds it to Netty and the real clock, on
 * one event loop thread. A request whose outcome cannot be known completes with
 * {@link IndeterminateException}; one that certainly did not take effect with {@link RequestFailedException}.
 *
 * <p>Endpoints are given by node id; each node answers with its view of the leader's id.
 */
public final class KvClient implements AutoCloseable {
    /**
     * @param attemptTimeoutMillis  one try against one node
     * @param requestTimeoutMillis  all tries of one request
     * @param maxInflight           requests in flight; more wait for a slot (bounded by the session's result cache)
     */
    public record Options(long attemptTimeoutMillis, long requestTimeoutMillis, int maxInflight) {
        public Options {
            if (attemptTimeoutMillis < 1
                    || requestTimeoutMillis < attemptTimeoutMillis
                    || maxInflight < 1
                    || maxInflight > ClientCore.MAX_OPEN_REQUESTS) {
                throw new IllegalArgumentException("bad client options");
            }
        }

        public static Options defaults() {
            return new Options(1_000, 10_000, 1024);
        }
    }

    private static final long SWEEP_MILLIS = 20;
    private final TreeMap<Integer, InetSocketAddress> endpoints;
    private final Options options;
    private final EventLoopGroup group;
    private final boolean ownGroup;
    /** The one thread the core runs on. */
    private final EventLoop coreLoop;

    private final ClientCore core;
    private final Map<Integer, CompletableFuture<ChannelOutbox>> channels = new ConcurrentHashMap<>();
    private final ScheduledFuture<?> sweeper;
    /** Status, membership changes and leadership transfers. */
    private final AdminCalls admin;

    private final Semaphore slots;
    private volatile boolean closed;
    private final ClientSecurity security;

    public KvClient(Map<Integer, InetSocketAddress> endpoints, Options options) {
        this(endpoints, options, null);
    }

    public KvClient(Map<Integer, InetSocketAddress> endpoints, Options options, EventLoopGroup group) {
        this(endpoints, options, group, ClientSecurity.plain());
    }

    /**
     * @param group    a shared event loop group, or null for a private one
     * @param security plain, or TLS with a client certificate (the cluster's nodes decide which they accept)
     */
    public KvClient(
            Map<Integer, InetSocketAddress> endpoints, Options options, EventLoopGroup group, ClientSecurity security) {
        this.security = security;
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("no endpoints");
        }
        this.endpoints = new TreeMap<>(endpoints);
        this.options = options;
        this.ownGroup = group == null;
        this.group = group == null ? new NioEventLoopGroup(1) : group;
        this.coreLoop = this.group.next();
        this.slots = new Semaphore(options.maxInflight());
        this.core = new ClientCore(
                new ArrayList<>(this.endpoints.keySet()),
                this.endpoints.firstKey(),
                TimeUnit.MILLISECONDS.toNanos(options.attemptTimeoutMillis()),
                new NettyDriver(),
                () -> ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE));
        this.admin = new AdminCalls(new ArrayList<>(this.endpoints.keySet()), coreLoop, this::channel);
        // One periodic pass finds attempts that got no answer in time (cheaper than a timer per request).
        this.sweeper =
                coreLoop.scheduleWithFixedDelay(core::sweepTimeouts, SWEEP_MILLIS, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** The core's world: Netty connections, the event loop's timers, the real clock. */
    private final class NettyDriver implements ClientCore.Driver {
        @Override
        public long nowNanos() {
            return System.nanoTime();
        }

        @Override
        public void send(int node, ClientRequest request) {
            channel(node).whenComplete((box, err) -> {
                if (err != null || !box.channel().isActive()) {
                    onCore(() -> core.onSendFailed(request.requestId(), true));
                } else if (!box.offer(request)) {
                    onCore(() -> core.onSendFailed(request.requestId(), false));
                }
            });
        }

        @Override
        public void schedule(long delayNanos, Runnable task) {
            if (delayNanos <= 0) {
                coreLoop.execute(task);
            } else {
                coreLoop.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
            }
        }

        @Override
        public void watchAttempt(long requestId, long deadlineNanos) {
            // the sweeper checks every attempt in flight
        }

        @Override
        public int nextInt(int bound) {
            return ThreadLocalRandom.current().nextInt(bound);
        }
    }

    /** Runs on the core's thread: now if already there, else queued (never blocks). */
    private void onCore(Runnable task) {
        if (coreLoop.inEventLoop()) {
            task.run();
        } else {
            coreLoop.execute(task);
        }
    }

    /** Parses "1=host:port,2=host:port" or "host:port,host:port" (ids 1, 2, ... in order). */
    public static Map<Integer, InetSocketAddress> parseEndpoints(String spec) {
        return ClientEndpoints.parse(spec);
    }

    // ------------------------------------------------------------------ API

    public CompletableFuture<KvResult> get(String key) {
        return submit(KvCommand.get(key));
    }

    public CompletableFuture<KvResult> put(String key, String value) {
        return submit(KvCommand.put(key, value));
    }

    public CompletableFuture<KvResult> delete(String key) {
        return submit(KvCommand.delete(key));
    }

    public CompletableFuture<KvResult> cas(String key, String expected, String value) {
        return submit(KvCommand.cas(key, expected, value));
    }

    public CompletableFuture<KvResult> append(String key, String value) {
        return submit(KvCommand.append(key, value));
    }

    /** A key or range read at one revision by ReadIndex; a page cut short says {@code more} ({@link KvRange#after}). */
    public CompletableFuture<KvRangeResult> range(KvRange range) {
        return submit(KvCommand.range(range)).thenApply(r -> KvRangeResult.decode(LeaseClient.okBody(r)));
    }

    /** A transaction, run once (a retry never runs it twice); refused ones fail with RequestFailedException. */
    public CompletableFuture<KvTxnResult> txn(KvTxn txn) {
        return submit(KvCommand.txn(txn)).thenApply(r -> KvTxnResult.decode(LeaseClient.okBody(r)));
    }

    /** Leases: grant, keep alive, revoke, put with a lease. */
    public LeaseClient leases() {
        return new LeaseClient(this);
    }

    public LockClient locks() {
        return new LockClient(this);
    }

    /** Blocking: waits for the result, rethrowing Indeterminate/RequestFailed exceptions. */
    public <T> T await(CompletableFuture<T> f) {
        try {
            return f.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
    }

    /** Sends a command (a GET is a linearizable ReadIndex read; anything else goes through the log once). */
    public CompletableFuture<KvResult> submit(KvCommand command) {
        if (closed) {
            return CompletableFuture.failedFuture(new RequestFailedException("client closed"));
        }
        String tooLarge = RequestSize.problem(command);
        if (tooLarge != null) {
            return CompletableFuture.failedFuture(new LimitExceededException(tooLarge));
        }
        try {
            // Never block an event-loop thread (a callback submitting the next request): fail fast there.
            boolean onEventLoop = Thread.currentThread() instanceof FastThreadLocalThread;
            boolean got = onEventLoop
                    ? slots.tryAcquire()
                    : slots.tryAcquire(options.requestTimeoutMillis(), TimeUnit.MILLISECONDS);
            if (!got) {
                return CompletableFuture.failedFuture(
                        new RequestFailedException("all " + options.maxInflight() + " request slots are in use"));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CompletableFuture.failedFuture(new RequestFailedException("interrupted"));
        }
        CompletableFuture<KvResult> future = new CompletableFuture<>();
        long timeoutNanos = TimeUnit.MILLISECONDS.toNanos(options.requestTimeoutMillis());
        onCore(() -> core.submit(command, timeoutNanos, new ClientCore.Outcome() {
            // The slot is freed before the future completes, so a callback may submit again at once.
            @Override
            public void completed(KvCommand sent, KvResult result) {
                slots.release();
                future.complete(result);
            }

            @Override
            public void failed(String why) {
                slots.release();
                future.completeExceptionally(new RequestFailedException(why));
            }

            @Override
            public void indeterminate(String why) {
                slots.release();
                future.completeExceptionally(new IndeterminateException(why));
            }
        }));
        return future;
    }

    // ------------------------------------------------------------------ connections

    private CompletableFuture<ChannelOutbox> channel(int node) {
        CompletableFuture<ChannelOutbox> f = channels.get(node);
        if (f != null
                && (!f.isDone()
                        || (!f.isCompletedExceptionally() && f.join().channel().isActive()))) {
            return f;
        }
        CompletableFuture<ChannelOutbox> fresh = new CompletableFuture<>();
        if (f == null ? channels.putIfAbsent(node, fresh) != null : !channels.replace(node, f, fresh)) {
            return channels.get(node);
        }
        // On the core's own loop: answers reach the core without a hand-off.
        new Bootstrap()
                .group(coreLoop)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(5_000, options.attemptTimeoutMillis()))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        FrameCodec.install(ch.pipeline(), Wire.DEFAULT_MAX_FRAME_BYTES, new Handler());
                        security.secure(ch);
                    }
                })
                .connect(endpoints.get(node))
                .addListener(cf -> {
                    if (cf.isSuccess()) {
                        Channel ch = ((ChannelFuture) cf).channel();
                        if (security.token() != null) {
                            ch.writeAndFlush(new Wire.Auth(security.token())); // first, before any request
                        }
                        fresh.complete(new ChannelOutbox(ch, 2 * options.maxInflight() + 16));
                    } else {
                        fresh.completeExceptionally(cf.cause());
                    }
                });
        return fresh;
    }

    private final class Handler extends SimpleChannelInboundHandler<Object> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ClientResponse r && r.requestId() == 0) {
                // About the connection, not a request: the node refused this client (a wrong or missing token).
                Logger.getLogger(KvClient.class.getName())
                        .warning("node at " + ctx.channel().remoteAddress() + " refused this client: " + reasonOf(r));
            } else if (msg instanceof ClientResponse r) {
                onCore(() -> core.onResponse(r));
            } else {
                admin.onAnswer(msg);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    private static String reasonOf(ClientResponse r) {
        try {
            String v = KvResult.decode(r.encodedResult()).value();
            return v == null ? r.status().name() : v;
        } catch (RuntimeException e) {
            return r.status().name();
        }
    }

    /**
     * Asks for leadership to go to {@code target}, first of {@code leaderGuess}, following redirects (see
     * {@link OperatorCore}); completes, never exceptionally, with the final answer: ok once the target
     * leads, else the leader's refusal or why no answer came within {@code timeoutMillis}.
     */
    public CompletableFuture<Wire.TransferResponse> transferLeadership(
            int leaderGuess, int target, long timeoutMillis) {
        return admin.transferLeadership(leaderGuess, target, timeoutMillis);
    }

    /**
     * Asks for one membership change, first of {@code leaderGuess} (-1: none known), following NOT_LEADER
     * answers and asking again after none (see {@link OperatorCore}); completes, never exceptionally, with
     * the answer that ended it (committed, refused or timed out at the leader) or a NOT_LEADER one saying why
     * it gave up after {@code timeoutMillis}. An add waits for the learner to catch up: allow tens of seconds.
     */
    public CompletableFuture<Wire.MembershipResponse> changeMembership(
            int leaderGuess, MembershipChange change, long timeoutMillis) {
        return admin.changeMembership(leaderGuess, change, timeoutMillis);
    }

    /** Asks one node for its status (role, term, leader, commit, applied). */
    public CompletableFuture<Wire.StatusResponse> status(int node) {
        return admin.status(node, options.attemptTimeoutMillis());
    }

    @Override
    public void close() {
        closed = true;
        sweeper.cancel(false);
        admin.close();
        for (CompletableFuture<ChannelOutbox> f : channels.values()) {
            f.thenAccept(b -> b.channel().close());
        }
        CountDownLatch abandoned = new CountDownLatch(1);
        onCore(() -> {
            core.abandonAll("client closed");
            abandoned.countDown();
        });
        try {
            if (!coreLoop.inEventLoop()) {
                abandoned.await(1, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (ownGroup) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }
}
