package dev.linden.kvnode.client;

import dev.linden.kvnode.kv.KvCommand;
import dev.linden.kvnode.kv.KvOp;
import dev.linden.kvnode.kv.KvResult;
import dev.linden.kvnode.net.FrameCodec;
import dev.linden.kvnode.net.Wire;
import dev.linden.kvnode.service.ClientRequest;
import dev.linden.kvnode.service.ClientResponse;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An asynchronous client of a Linden cluster. One connection per node, many requests in flight. It
 * finds the leader and follows redirects; a write is retried with the same session and sequence number
 * so the cluster applies it once. A request whose outcome cannot be known completes with
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
            if (attemptTimeoutMillis < 1 || requestTimeoutMillis < attemptTimeoutMillis || maxInflight < 1
                    || maxInflight > 4096) {
                throw new IllegalArgumentException("bad client options");
            }
        }

        public static Options defaults() {
            return new Options(1_000, 10_000, 1024);
        }
    }

    private final TreeMap<Integer, InetSocketAddress> endpoints;
    private final Options options;
    private final EventLoopGroup group;
    private final boolean ownGroup;
    private final Map<Integer, CompletableFuture<dev.linden.kvnode.net.ChannelOutbox>> channels = new ConcurrentHashMap<>();
    private final io.netty.util.concurrent.ScheduledFuture<?> sweeper;
    private static final long SWEEP_MILLIS = 20;
    private final Map<Long, Call> calls = new ConcurrentHashMap<>();
    private final AtomicLong nextRequestId = new AtomicLong(1);
    private final java.util.concurrent.Semaphore slots;
    /** The session writes go through; replaced when the cluster says it forgot it. */
    private volatile Session session = new Session();

    /**
     * A client session: its id, the next sequence number, and those still open (the lowest open one less
     * one is what the session acknowledges). A session whose first writes all failed before one was applied
     * is unknown to the cluster yet acknowledges them: the cluster then answers SESSION_EXPIRED, and the
     * client starts a new session rather than fail every write from then on.
     */
    private static final class Session {
        final long id = ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
        final java.util.concurrent.ConcurrentSkipListSet<Long> openSeqs = new java.util.concurrent.ConcurrentSkipListSet<>();
        final AtomicLong nextSeq = new AtomicLong(1);
    }
    private volatile int leaderGuess;
    private volatile boolean closed;

    /** One request across its attempts. */
    private final class Call {
        final KvCommand command;
        final CompletableFuture<KvResult> future = new CompletableFuture<>();
        final long deadlineNanos;
        final long seq;
        final Session session;
        final java.util.concurrent.atomic.AtomicBoolean finished = new java.util.concurrent.atomic.AtomicBoolean();
        volatile long requestId;
        volatile boolean maybeApplied;
        volatile int target;
        volatile long attemptDeadlineNanos;

        Call(KvCommand command, long seq, Session session) {
            this.command = command;
            this.seq = seq;
            this.session = session;
            this.deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(options.requestTimeoutMillis());
        }

        /** Frees the slot and the sequence number first, so a callback may submit again at once. */
        boolean release() {
            if (!finished.compareAndSet(false, true)) {
                return false;
            }
            if (seq > 0) {
                session.openSeqs.remove(seq);
            }
            slots.release();
            return true;
        }

        void succeed(KvResult r) {
            if (release()) {
                future.complete(r);
            }
        }

        void fail(RuntimeException e) {
            if (release()) {
                future.completeExceptionally(e);
            }
        }
    }

    public KvClient(Map<Integer, InetSocketAddress> endpoints, Options options) {
        this(endpoints, options, null);
    }

    /** @param group a shared event loop group, or null for a private one */
    public KvClient(Map<Integer, InetSocketAddress> endpoints, Options options, EventLoopGroup group) {
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("no endpoints");
        }
        this.endpoints = new TreeMap<>(endpoints);
        this.options = options;
        this.ownGroup = group == null;
        this.group = group == null ? new NioEventLoopGroup(1) : group;
        this.slots = new java.util.concurrent.Semaphore(options.maxInflight());
        this.leaderGuess = this.endpoints.firstKey();
        this.sweeper = this.group.scheduleWithFixedDelay(this::sweepTimeouts, SWEEP_MILLIS, SWEEP_MILLIS,
                TimeUnit.MILLISECONDS);
    }

    /** One periodic pass finds attempts that got no answer in time (cheaper than a timer per request). */
    private void sweepTimeouts() {
        long now = System.nanoTime();
        for (Map.Entry<Long, Call> e : calls.entrySet()) {
            Call call = e.getValue();
            if (now > call.attemptDeadlineNanos && calls.remove(e.getKey(), call)) {
                call.maybeApplied = true; // sent, no answer: it may have been applied
                attempt(call, other(call.target));
            }
        }
    }

    /** Parses "1=host:port,2=host:port" or "host:port,host:port" (ids 1, 2, ... in order). */
    public static Map<Integer, InetSocketAddress> parseEndpoints(String spec) {
        TreeMap<Integer, InetSocketAddress> out = new TreeMap<>();
        int next = 1;
        for (String part : spec.split(",")) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            int id = next++;
            int eq = p.indexOf('=');
            if (eq > 0) {
                id = Integer.parseInt(p.substring(0, eq));
                p = p.substring(eq + 1);
            }
            int colon = p.lastIndexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("endpoint '" + part + "' needs host:port");
            }
            out.put(id, new InetSocketAddress(p.substring(0, colon), Integer.parseInt(p.substring(colon + 1))));
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no endpoints in '" + spec + "'");
        }
        return out;
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

    /** Blocking convenience: waits for the result, rethrowing Indeterminate/RequestFailed exceptions. */
    public KvResult await(CompletableFuture<KvResult> f) {
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
        try {
            // Never block an event-loop thread (a callback submitting the next request): fail fast there.
            boolean onEventLoop = Thread.currentThread() instanceof io.netty.util.concurrent.FastThreadLocalThread;
            boolean got = onEventLoop ? slots.tryAcquire()
                    : slots.tryAcquire(options.requestTimeoutMillis(), TimeUnit.MILLISECONDS);
            if (!got) {
                return CompletableFuture.failedFuture(new RequestFailedException("all " + options.maxInflight()
                        + " request slots are in use"));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CompletableFuture.failedFuture(new RequestFailedException("interrupted"));
        }
        KvCommand cmd = command;
        long seq = 0;
        Session s = session;
        if (command.op() != KvOp.GET) {
            seq = s.nextSeq.getAndIncrement();
            s.openSeqs.add(seq);
            Long lowestOpen = s.openSeqs.first();
            cmd = command.withSession(s.id, seq, lowestOpen - 1);
        }
        Call call = new Call(cmd, seq, s);
        attempt(call, leaderGuess);
        return call.future;
    }

    // ------------------------------------------------------------------ attempts

    private void attempt(Call call, int target) {
        if (System.nanoTime() >= call.deadlineNanos) {
            finishUnresolved(call);
            return;
        }
        long id = nextRequestId.getAndIncrement();
        call.requestId = id;
        call.target = target;
        calls.put(id, call);
        call.attemptDeadlineNanos = Long.MAX_VALUE;
        channel(target).whenComplete((box, err) -> {
            if (err != null || !box.channel().isActive()) {
                calls.remove(id);
                group.schedule(() -> attempt(call, other(target)), 20, TimeUnit.MILLISECONDS);
                return;
            }
            call.attemptDeadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(options.attemptTimeoutMillis());
            if (!box.offer(new ClientRequest(id, call.command))) {
                calls.remove(id);
                group.schedule(() -> attempt(call, target), 5, TimeUnit.MILLISECONDS);
            }
        });
    }

    private void onResponse(ClientResponse r) {
        Call call = calls.remove(r.requestId());
        if (call == null) {
            return; // late answer to a timed-out attempt
        }
        switch (r.status()) {
            case OK -> {
                leaderGuess = call.target;
                if (r.result().status() == KvResult.Status.SESSION_EXPIRED) {
                    if (session == call.session) {
                        session = new Session(); // later writes go through a session the cluster will know
                    }
                    call.fail(new IndeterminateException("session forgot this request"));
                } else {
                    call.succeed(r.result());
                }
            }
            case NOT_LEADER -> {
                int next = endpoints.containsKey(r.leaderHint()) && r.leaderHint() != call.target ? r.leaderHint()
                        : other(call.target);
                leaderGuess = next;
                group.schedule(() -> attempt(call, next), next == r.leaderHint() ? 0 : 20, TimeUnit.MILLISECONDS);
            }
            case OVERLOADED, LOST -> group.schedule(() -> attempt(call, call.target), 5, TimeUnit.MILLISECONDS);
            case INVALID, NO_SPACE -> call.fail(new RequestFailedException((r.status() == ClientResponse.Status.NO_SPACE
                    ? "" : "invalid request: ") + (r.result() == null ? r.status().name() : r.result().value())));
            case UNKNOWN -> {
                call.maybeApplied = true;
                group.schedule(() -> attempt(call, other(call.target)), 20, TimeUnit.MILLISECONDS);
            }
        }
    }

    private void finishUnresolved(Call call) {
        boolean read = call.command.op() == KvOp.GET;
        if (call.maybeApplied && !read) {
            call.fail(new IndeterminateException("no answer within " + options.requestTimeoutMillis()
                    + " ms; the write may or may not have been applied"));
        } else {
            call.fail(new RequestFailedException("no node accepted the request within "
                    + options.requestTimeoutMillis() + " ms"));
        }
    }

    private int other(int current) {
        List<Integer> ids = new ArrayList<>(endpoints.keySet());
        if (ids.size() == 1) {
            return ids.get(0);
        }
        int i = ids.indexOf(current);
        return ids.get((i + 1 + ThreadLocalRandom.current().nextInt(ids.size() - 1)) % ids.size());
    }

    // ------------------------------------------------------------------ connections

    private CompletableFuture<dev.linden.kvnode.net.ChannelOutbox> channel(int node) {
        CompletableFuture<dev.linden.kvnode.net.ChannelOutbox> f = channels.get(node);
        if (f != null && (!f.isDone() || (!f.isCompletedExceptionally() && f.join().channel().isActive()))) {
            return f;
        }
        CompletableFuture<dev.linden.kvnode.net.ChannelOutbox> fresh = new CompletableFuture<>();
        if (f == null ? channels.putIfAbsent(node, fresh) != null : !channels.replace(node, f, fresh)) {
            return channels.get(node);
        }
        new Bootstrap().group(group).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(5_000, options.attemptTimeoutMillis()))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        FrameCodec.install(ch.pipeline(), Wire.DEFAULT_MAX_FRAME_BYTES, new Handler());
                    }
                })
                .connect(endpoints.get(node)).addListener(cf -> {
                    if (cf.isSuccess()) {
                        fresh.complete(new dev.linden.kvnode.net.ChannelOutbox(
                                ((io.netty.channel.ChannelFuture) cf).channel(), 2 * options.maxInflight() + 16));
                    } else {
                        fresh.completeExceptionally(cf.cause());
                    }
                });
        return fresh;
    }

    private final class Handler extends SimpleChannelInboundHandler<Object> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ClientResponse r) {
                onResponse(r);
            } else if (msg instanceof Wire.StatusResponse s) {
                CompletableFuture<Wire.StatusResponse> f = statusCalls.remove(s.requestId());
                if (f != null) {
                    f.complete(s);
                }
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    private final Map<Long, CompletableFuture<Wire.StatusResponse>> statusCalls = new ConcurrentHashMap<>();

    /** Asks one node for its status (role, term, leader, commit, applied). */
    public CompletableFuture<Wire.StatusResponse> status(int node) {
        long id = nextRequestId.getAndIncrement();
        CompletableFuture<Wire.StatusResponse> f = new CompletableFuture<>();
        statusCalls.put(id, f);
        channel(node).whenComplete((box, err) -> {
            if (err != null) {
                statusCalls.remove(id);
                f.completeExceptionally(err);
            } else {
                box.offer(new Wire.StatusRequest(id));
            }
        });
        return f.orTimeout(options.attemptTimeoutMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((s, t) -> statusCalls.remove(id));
    }

    @Override
    public void close() {
        closed = true;
        sweeper.cancel(false);
        for (CompletableFuture<dev.linden.kvnode.net.ChannelOutbox> f : channels.values()) {
            f.thenAccept(b -> b.channel().close());
        }
        for (Call c : calls.values()) {
            c.fail(new IndeterminateException("client closed"));
        }
        if (ownGroup) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }
}
