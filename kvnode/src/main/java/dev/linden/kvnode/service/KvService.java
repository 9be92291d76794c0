package dev.linden.kvnode.service;

import dev.linden.kvnode.kv.KvCommand;
import dev.linden.kvnode.kv.KvLeases;
import dev.linden.kvnode.kv.KvOp;
import dev.linden.kvnode.node.NodeConfig;
import dev.linden.kvnode.node.NodeException;
import dev.linden.kvnode.node.RaftNode;
import dev.linden.kvnode.node.Stage;
import dev.linden.kvnode.raft.Role;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/** The node side of the client protocol: the same in production (behind Netty) and in the simulator. */
public final class KvService {
    private final RaftNode node;
    /** For tests of the harness only: serve reads from local state without ReadIndex (not linearizable). */
    private final boolean unsafeLocalReads;

    private final KvLimits limits;
    /** Bytes of keys and values applied (from the state machine, any thread). */
    private final LongSupplier storedBytes;
    /** Bytes of answers the state machine caches for retries (any thread): they count against the quota too. */
    private final LongSupplier answerBytes;
    /** Bytes of writes proposed here and not yet answered: counted against the quota with what is stored. */
    private final AtomicLong pendingWriteBytes = new AtomicLong();

    public KvService(RaftNode node, KvLimits limits, LongSupplier storedBytes, LongSupplier answerBytes) {
        this(node, false, limits, storedBytes, answerBytes);
    }

    /**
     * @param storedBytes bytes of keys and values applied ({@code KvStateMachine::storedBytes})
     * @param answerBytes bytes of answers cached for retries ({@code KvStateMachine::answerBytes})
     */
    public KvService(
            RaftNode node,
            boolean unsafeLocalReads,
            KvLimits limits,
            LongSupplier storedBytes,
            LongSupplier answerBytes) {
        this.node = node;
        this.unsafeLocalReads = unsafeLocalReads;
        this.limits = limits;
        this.storedBytes = storedBytes;
        this.answerBytes = answerBytes;
    }

    /**
     * The refusal for a write that must not be proposed (over a size limit, or over the quota), or null.
     * Only the leader proposes, so a follower lets the request through to answer NOT_LEADER.
     */
    private ClientResponse refusal(ClientRequest r) {
        byte[] cmd = r.encodedCommand();
        String tooBig = limits.sizeProblem(cmd);
        if (tooBig != null) {
            return ClientResponse.refused(r.requestId(), ClientResponse.Status.INVALID, node.leaderHint(), tooBig);
        }
        KvOp op = KvCommand.opOf(cmd);
        if (op.leaderOnly()) {
            return ClientResponse.refused(
                    r.requestId(),
                    ClientResponse.Status.INVALID,
                    node.leaderHint(),
                    op + " is proposed by the leader only");
        }
        // Answers cached for retries count like data, so at the quota writes get NO_SPACE. The answers of writes
        // in flight are not foreseen here (a small CAS may answer a mebibyte); the state machine's own total
        // bound (KvStateMachine.DEFAULT_MAX_ANSWER_BYTES_TOTAL) caps them whatever this check lets through.
        boolean adds =
                op == KvOp.PUT || op == KvOp.CAS || op == KvOp.APPEND || (op == KvOp.TXN && KvLimits.writes(cmd));
        long stored = storedBytes.getAsLong();
        long answers = answerBytes.getAsLong();
        if (adds && stored + answers + pendingWriteBytes.get() + KvLimits.addedBytes(cmd) > limits.quotaBytes()) {
            return ClientResponse.refused(
                    r.requestId(),
                    ClientResponse.Status.NO_SPACE,
                    node.leaderHint(),
                    "no space: the cluster holds " + stored + " bytes of keys and values and " + answers
                            + " bytes of answers kept for retries, of its quota of " + limits.quotaBytes()
                            + " bytes; reads and deletes still work, and answers are freed as clients"
                            + " acknowledge them or their sessions expire");
        }
        return null;
    }

    /**
     * Handles a burst of requests read from one connection: the writes are proposed in one raft-stage
     * task, so they share one log write and one AppendEntries per follower.
     */
    public void handleAll(List<ClientRequest> requests, Consumer<ClientResponse> reply) {
        List<byte[]> commands = new ArrayList<>(requests.size());
        List<CompletableFuture<byte[]>> futures = new ArrayList<>(requests.size());
        for (ClientRequest r : requests) {
            if (isRead(r.encodedCommand())) {
                handle(r, reply);
                continue;
            }
            ClientResponse refused = refusal(r);
            if (refused != null) {
                reply.accept(refused);
                continue;
            }
            CompletableFuture<byte[]> f = new CompletableFuture<>();
            commands.add(r.encodedCommand());
            futures.add(f);
            long id = r.requestId();
            long bytes = KvLimits.addedBytes(r.encodedCommand());
            pendingWriteBytes.addAndGet(bytes);
            f.whenComplete((result, error) -> {
                pendingWriteBytes.addAndGet(-bytes);
                reply.accept(toResponse(id, result, error));
            });
        }
        if (!commands.isEmpty()) {
            node.proposeAll(commands, futures);
        }
    }

    /** The expiry entry in flight, if any: at most one at a time. */
    private volatile boolean expiryInFlight;

    /**
     * Session expiry decided through the log: every {@code everyMillis} of {@code stage}'s clock, if this node
     * leads, it proposes an {@link KvOp#EXPIRE_SESSIONS} entry with its time ({@code wallMillis}) and
     * {@code ttlMillis}; every replica then drops the same idle sessions at that entry's index.
     */
    public void startSessionExpiry(Stage stage, LongSupplier wallMillis, long ttlMillis, long everyMillis) {
        if (ttlMillis < 1 || everyMillis < 1) {
            throw new IllegalArgumentException("session ttl and expiry interval must be >= 1 ms");
        }
        stage.schedule(everyMillis, () -> {
            if (node.role() == Role.LEADER && !expiryInFlight) {
                expiryInFlight = true;
                node.propose(KvCommand.expireSessions(Math.max(0, wallMillis.getAsLong()), ttlMillis)
                                .encode())
                        .whenComplete((r, e) -> expiryInFlight = false);
            }
            startSessionExpiry(stage, wallMillis, ttlMillis, everyMillis);
        });
    }

    /**
     * Session and lease expiry as {@code config} says: sessions by the leader's {@code wallMillis} (see
     * {@link #startSessionExpiry}), leases by its {@code nowNanos}, checked every heartbeat and extended by an
     * election timeout at a change of leader (see {@link #startLeaseExpiry}).
     */
    public void startExpiries(
            Stage stage,
            LongSupplier wallMillis,
            LongSupplier nowNanos,
            Supplier<Map<Long, KvLeases.Lease>> leases,
            NodeConfig config) {
        startSessionExpiry(stage, wallMillis, config.sessionTtlMillis(), config.sessionExpiryEveryMillis());
        long tick = config.tickMillis();
        startLeaseExpiry(
                stage,
                leases,
                nowNanos,
                config.raft().electionTimeoutTicks() * tick,
                config.raft().heartbeatIntervalTicks() * tick);
    }

    /**
     * Lease expiry decided by this node's clock while it leads ({@link LeaseTimer}): every {@code everyMillis} of
     * {@code stage}'s clock it looks at {@code leases} (the state machine's, {@code KvStateMachine::leases}) and
     * proposes the expiry of those run out; {@code extendMillis} (the election timeout) is added to every lease a
     * new leader finds.
     */
    public void startLeaseExpiry(
            Stage stage,
            Supplier<Map<Long, KvLeases.Lease>> leases,
            LongSupplier nowNanos,
            long extendMillis,
            long everyMillis) {
        if (everyMillis < 1) {
            throw new IllegalArgumentException("the lease check interval must be >= 1 ms");
        }
        LeaseTimer timer = new LeaseTimer(node, leases, nowNanos, extendMillis);
        scheduleLeaseTicks(stage, timer, everyMillis);
    }

    private void scheduleLeaseTicks(Stage stage, LeaseTimer timer, long everyMillis) {
        stage.schedule(everyMillis, () -> {
            timer.tick();
            scheduleLeaseTicks(stage, timer, everyMillis);
        });
    }

    /**
     * A GET or RANGE is a read-only query (ReadIndex, or a lease read), whatever session it carries: it changes
     * nothing, so it needs no log entry and no cached answer; anything else goes through the log.
     */
    private static boolean isRead(byte[] command) {
        return KvCommand.opOf(command).isRead();
    }

    public void handle(ClientRequest request, Consumer<ClientResponse> reply) {
        byte[] cmd = request.encodedCommand();
        CompletableFuture<byte[]> f;
        if (isRead(cmd)) {
            f = unsafeLocalReads ? node.readLocal(cmd) : node.read(cmd);
        } else {
            ClientResponse refused = refusal(request);
            if (refused != null) {
                reply.accept(refused);
                return;
            }
            long bytes = KvLimits.addedBytes(cmd);
            pendingWriteBytes.addAndGet(bytes);
            f = node.propose(cmd).whenComplete((r, e) -> pendingWriteBytes.addAndGet(-bytes));
        }
        f.whenComplete((bytes, error) -> reply.accept(toResponse(request.requestId(), bytes, error)));
    }

    private ClientResponse toResponse(long requestId, byte[] bytes, Throwable error) {
        if (error == null) {
            return new ClientResponse(requestId, ClientResponse.Status.OK, node.id(), bytes);
        }
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof NodeException ne) {
            ClientResponse.Status status = switch (ne.reason()) {
                case NOT_LEADER -> ClientResponse.Status.NOT_LEADER;
                case OVERLOADED -> ClientResponse.Status.OVERLOADED;
                case LOST -> ClientResponse.Status.LOST;
                case UNKNOWN -> ClientResponse.Status.UNKNOWN;
            };
            return new ClientResponse(requestId, status, ne.leaderHint(), (byte[]) null);
        }
        return new ClientResponse(requestId, ClientResponse.Status.UNKNOWN, node.leaderHint(), (byte[]) null);
    }
}
