package dev.linden.kvnode.service;

import dev.linden.kvnode.kv.KvCommand;
import dev.linden.kvnode.kv.KvOp;
import dev.linden.kvnode.node.NodeException;
import dev.linden.kvnode.node.RaftNode;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;

/** The node side of the client protocol: the same in production (behind Netty) and in the simulator. */
public final class KvService {
    private final RaftNode node;
    /** For tests of the harness only: serve reads from local state without ReadIndex (not linearizable). */
    private final boolean unsafeLocalReads;
    private final KvLimits limits;
    /** Bytes of keys and values applied (from the state machine, any thread). */
    private final java.util.function.LongSupplier storedBytes;
    /** Bytes of writes proposed here and not yet answered: counted against the quota with what is stored. */
    private final java.util.concurrent.atomic.AtomicLong pendingWriteBytes = new java.util.concurrent.atomic.AtomicLong();

    public KvService(RaftNode node, KvLimits limits, java.util.function.LongSupplier storedBytes) {
        this(node, false, limits, storedBytes);
    }

    public KvService(RaftNode node, boolean unsafeLocalReads, KvLimits limits,
                     java.util.function.LongSupplier storedBytes) {
        this.node = node;
        this.unsafeLocalReads = unsafeLocalReads;
        this.limits = limits;
        this.storedBytes = storedBytes;
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
        boolean adds = op == KvOp.PUT || op == KvOp.CAS || op == KvOp.APPEND;
        if (adds && storedBytes.getAsLong() + pendingWriteBytes.get() + KvLimits.addedBytes(cmd) > limits.quotaBytes()) {
            return ClientResponse.refused(r.requestId(), ClientResponse.Status.NO_SPACE, node.leaderHint(),
                    "no space: the cluster holds " + storedBytes.getAsLong() + " bytes of its quota of "
                            + limits.quotaBytes() + " bytes; reads and deletes still work");
        }
        return null;
    }

    /**
     * Handles a burst of requests read from one connection: the writes are proposed in one raft-stage
     * task, so they share one log write and one AppendEntries per follower.
     */
    public void handleAll(java.util.List<ClientRequest> requests, Consumer<ClientResponse> reply) {
        java.util.List<byte[]> commands = new java.util.ArrayList<>(requests.size());
        java.util.List<CompletableFuture<byte[]>> futures = new java.util.ArrayList<>(requests.size());
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

    /** A GET without a session is a read-only query; anything else goes through the log. */
    private static boolean isRead(byte[] command) {
        return KvCommand.opOf(command) == KvOp.GET && KvCommand.clientIdOf(command) == 0;
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
