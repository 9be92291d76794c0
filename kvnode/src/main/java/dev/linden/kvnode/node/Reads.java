package dev.linden.kvnode.node;

import dev.linden.kvnode.raft.Input;
import dev.linden.kvnode.raft.RaftCore;
import dev.linden.kvnode.raft.Ready;
import java.util.ArrayDeque;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * A leader's linearizable reads (raft stage), from intake to answer: a read waits for its ReadIndex round to
 * confirm leadership (or, with lease reads, is served from the lease at the commit index), then for the apply
 * stage to reach that index, and then runs its query on the apply stage, after what was applied. All of them
 * count against {@code NodeConfig.maxReadsInFlight}.
 */
final class Reads {
    /** What the reads need of their node. */
    interface Host {
        /** Feeds the core one input, through the node's one input path. */
        long step(Input input);

        void scheduleDrain();

        /** A read was served from this leader's lease in {@code term}. */
        void leaseRead(long term);
    }

    private final int id;
    private final NodeConfig config;
    private final Stage applyStage;
    private final StateMachine stateMachine;
    private final Host host;
    /** The read lease (with RaftConfig.leaseReads), timed on this node's monotonic clock. */
    final ReadLease lease;

    private final TreeMap<Long, CompletableFuture<byte[]>> awaitingIndex = new TreeMap<>();
    private final TreeMap<Long, byte[]> queries = new TreeMap<>();
    /** Reads confirmed at an index, in confirmation order: {ctx, index}. */
    private final ArrayDeque<long[]> awaitingApply = new ArrayDeque<>();

    private long nextCtx = 1;

    Reads(int id, NodeConfig config, ReadLease lease, Stage applyStage, StateMachine stateMachine, Host host) {
        this.id = id;
        this.config = config;
        this.lease = lease;
        this.applyStage = applyStage;
        this.stateMachine = stateMachine;
        this.host = host;
    }

    /** A read on a leader ({@code core} leads); see {@link RaftNode#read}. */
    void read(RaftCore core, byte[] query, CompletableFuture<byte[]> f, long appliedIndex) {
        if (awaitingIndex.size() + awaitingApply.size() >= config.maxReadsInFlight()) {
            f.completeExceptionally(new NodeException(NodeException.Reason.OVERLOADED, id, "too many reads"));
            return;
        }
        long ctx = nextCtx++;
        awaitingIndex.put(ctx, f);
        queries.put(ctx, query);
        if (config.raft().leaseReads()) {
            long now = lease.now();
            if (lease.valid(now, core.term()) && core.leaseReadsAllowed()) {
                lease.served++;
                host.leaseRead(core.term());
                awaitingApply.addLast(new long[] {ctx, core.commitIndex()});
                if (lease.renewalDue(now)) {
                    long renewal = nextCtx++; // renew before it runs out, off the read's path
                    lease.asked(renewal, now, core.term(), true);
                    host.step(new Input.ReadIndex(renewal));
                    host.scheduleDrain();
                }
                serve(appliedIndex);
                return;
            }
            lease.asked(ctx, now, core.term(), false);
        }
        host.step(new Input.ReadIndex(ctx));
        host.scheduleDrain();
    }

    /** What a ready says of reads: rounds confirmed at an index, and rounds that failed (leadership lost). */
    void onReady(RaftCore core, Ready r) {
        for (Ready.ReadState rs : r.readStates()) {
            awaitingApply.addLast(new long[] {rs.ctx(), rs.index()});
            if (lease.waiting()) {
                lease.confirmed(rs.ctx(), core.term());
            }
        }
        for (long ctx : r.failedReads()) {
            lease.failed(ctx);
            CompletableFuture<byte[]> f = awaitingIndex.remove(ctx);
            queries.remove(ctx);
            if (f != null) {
                f.completeExceptionally(new NodeException(
                        NodeException.Reason.NOT_LEADER, core.leaderId(), "leadership lost before read was confirmed"));
            }
        }
    }

    /** Runs confirmed reads whose index has been applied, on the apply stage, after what it applied. */
    void serve(long appliedIndex) {
        while (!awaitingApply.isEmpty() && awaitingApply.peekFirst()[1] <= appliedIndex) {
            long ctx = awaitingApply.pollFirst()[0];
            CompletableFuture<byte[]> f = awaitingIndex.remove(ctx);
            byte[] q = queries.remove(ctx);
            if (f != null) {
                applyStage.execute(() -> {
                    try {
                        f.complete(stateMachine.query(q));
                    } catch (RuntimeException e) {
                        f.completeExceptionally(e);
                    }
                });
            }
        }
    }

    void failAll(NodeException reason) {
        awaitingIndex.values().forEach(f -> f.completeExceptionally(reason));
        awaitingIndex.clear();
        queries.clear();
        awaitingApply.clear();
    }

    /** The term of the read lease held now, or -1. */
    long leaseTermHeld(RaftCore core) {
        boolean held = config.raft().leaseReads()
                && core != null
                && core.leaseReadsAllowed()
                && lease.heldAt(lease.now(), core.term());
        return held ? lease.termHeld() : -1;
    }
}
