package dev.linden.kvnode.client;

import dev.linden.kvnode.net.ChannelOutbox;
import dev.linden.kvnode.net.Wire;
import dev.linden.kvnode.raft.MembershipChange;
import io.netty.channel.EventLoop;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

/**
 * A {@link KvClient}'s calls outside the session protocol: a node's status (one node, one answer), and the
 * operator's membership changes and leadership transfers, whose logic (the leader to ask, redirects,
 * attempts, the deadline) is {@link OperatorCore}, bound here to the client's connections and to its one
 * event loop, where the core runs.
 */
final class AdminCalls {
    /** How long one node is given to answer a membership change (an add waits for the learner to catch up). */
    static final long MEMBERSHIP_ATTEMPT_MILLIS = 15_000;
    /** How long one node is given to answer a leadership transfer. */
    static final long TRANSFER_ATTEMPT_MILLIS = 5_000;
    /** Most attempts of one operator request, redirects included. */
    static final int MAX_OPERATOR_ATTEMPTS = 64;

    private final EventLoop coreLoop;
    private final IntFunction<CompletableFuture<ChannelOutbox>> channel;
    private final OperatorCore operator;
    private final AtomicLong nextStatusId = new AtomicLong(1);
    private final Map<Long, CompletableFuture<Wire.StatusResponse>> statusCalls = new ConcurrentHashMap<>();

    AdminCalls(List<Integer> nodes, EventLoop coreLoop, IntFunction<CompletableFuture<ChannelOutbox>> channel) {
        this.coreLoop = coreLoop;
        this.channel = channel;
        this.operator = new OperatorCore(nodes, new NettyOperatorDriver());
    }

    /** The operator core's world: the client's connections, its event loop's timers, the real clock. */
    private final class NettyOperatorDriver implements OperatorCore.Driver {
        @Override
        public long nowNanos() {
            return System.nanoTime();
        }

        @Override
        public void send(int node, long requestId, Object request) {
            channel.apply(node).whenComplete((box, err) -> {
                if (err != null || !box.channel().isActive() || !box.offer(request)) {
                    onCore(() -> operator.onSendFailed(requestId));
                }
            });
        }

        @Override
        public void schedule(long delayNanos, Runnable task) {
            coreLoop.schedule(task, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
        }
    }

    private void onCore(Runnable task) {
        if (coreLoop.inEventLoop()) {
            task.run();
        } else {
            coreLoop.execute(task);
        }
    }

    /** An answer that is not a KV response: true if it was one of these calls' kinds. */
    boolean onAnswer(Object msg) {
        if (msg instanceof Wire.StatusResponse s) {
            CompletableFuture<Wire.StatusResponse> f = statusCalls.remove(s.requestId());
            if (f != null) {
                f.complete(s);
            }
            return true;
        }
        if (msg instanceof Wire.MembershipResponse || msg instanceof Wire.TransferResponse) {
            onCore(() -> operator.onAnswer(msg));
            return true;
        }
        return false;
    }

    CompletableFuture<Wire.TransferResponse> transferLeadership(int leaderGuess, int target, long timeoutMillis) {
        CompletableFuture<Wire.TransferResponse> f = new CompletableFuture<>();
        OperatorCore.Limits limits = limits(TRANSFER_ATTEMPT_MILLIS, timeoutMillis);
        onCore(() -> operator.transferLeadership(target, leaderGuess, limits, f::complete));
        return f;
    }

    CompletableFuture<Wire.MembershipResponse> changeMembership(
            int leaderGuess, MembershipChange change, long timeoutMillis) {
        CompletableFuture<Wire.MembershipResponse> f = new CompletableFuture<>();
        OperatorCore.Limits limits = limits(MEMBERSHIP_ATTEMPT_MILLIS, timeoutMillis);
        onCore(() -> operator.changeMembership(change, leaderGuess, limits, f::complete));
        return f;
    }

    private static OperatorCore.Limits limits(long attemptMillis, long timeoutMillis) {
        long timeout = Math.max(1, timeoutMillis);
        return new OperatorCore.Limits(
                TimeUnit.MILLISECONDS.toNanos(Math.min(attemptMillis, timeout)),
                TimeUnit.MILLISECONDS.toNanos(timeout),
                MAX_OPERATOR_ATTEMPTS);
    }

    /** Asks one node for its status; fails if no answer came within {@code timeoutMillis}. */
    CompletableFuture<Wire.StatusResponse> status(int node, long timeoutMillis) {
        long id = nextStatusId.getAndIncrement();
        CompletableFuture<Wire.StatusResponse> f = new CompletableFuture<>();
        statusCalls.put(id, f);
        channel.apply(node).whenComplete((box, err) -> {
            if (err != null) {
                statusCalls.remove(id);
                f.completeExceptionally(err);
            } else {
                box.offer(new Wire.StatusRequest(id));
            }
        });
        return f.orTimeout(timeoutMillis, TimeUnit.MILLISECONDS).whenComplete((s, t) -> statusCalls.remove(id));
    }

    /** The client closes: open operator requests end with an answer saying so. */
    void close() {
        onCore(() -> operator.abandonAll("client closed"));
    }
}
