package dev.linden.kvnode.node;

import dev.linden.kvnode.raft.Input;
import dev.linden.kvnode.raft.Membership;
import dev.linden.kvnode.raft.MembershipChange;
import dev.linden.kvnode.raft.RaftCore;
import dev.linden.kvnode.raft.Role;
import java.util.concurrent.CompletableFuture;

/**
 * What an operator asks of a leader, rather than a client: leadership transfer and membership change.
 * Each call is taken on the raft stage, refused at once unless this node leads, and then waits among
 * bounded waiters ({@link TransferWaiters}, {@link MembershipWaiters}) that the node settles after every
 * ready and ticks with the core. Both give up the read lease first where a hand-over may elect another
 * node past the voters' lease.
 */
final class OperatorCalls {
    /** What the calls need of their node (all on its raft stage). */
    interface Node {
        int id();

        /** The core while the node runs, else null. Read it; feed it only through {@link #step}. */
        RaftCore coreIfRunning();

        /** Feeds the core one input, through the node's one input path. */
        long step(Input input);

        void dropLease();

        void scheduleDrain();

        /** What the transport knows of why {@code peer} does not answer ("" if nothing). */
        String linkProblem(int peer);
    }

    private final Node node;
    private final Stage raftStage;
    private final TransferWaiters transfers;
    private final MembershipWaiters memberships;

    /** @param tickMillis the core's tick, to time membership requests ({@link MembershipWaiters#TIMEOUT_MILLIS}) */
    OperatorCalls(Node node, Stage raftStage, long tickMillis) {
        this.node = node;
        this.raftStage = raftStage;
        this.transfers = new TransferWaiters(node.id());
        this.memberships = new MembershipWaiters(
                node.id(),
                (int) Math.max(1, MembershipWaiters.TIMEOUT_MILLIS / tickMillis),
                node::linkProblem,
                node::step);
    }

    /** See {@link RaftNode#changeMembership}. */
    CompletableFuture<Membership> changeMembership(MembershipChange change) {
        CompletableFuture<Membership> f = new CompletableFuture<>();
        raftStage.execute(() -> {
            RaftCore core = leaderOrRefuse(f);
            if (core == null) {
                return;
            }
            if (memberships.full()) {
                f.completeExceptionally(new NodeException(
                        NodeException.Reason.OVERLOADED, node.id(), "too many membership changes waiting"));
                return;
            }
            if (change.kind() == MembershipChange.Kind.REMOVE && change.nodeId() == node.id()) {
                node.dropLease(); // the hand-over may elect the successor past the voters' lease
            }
            memberships.add(change, f);
            memberships.settle(core);
            node.scheduleDrain();
        });
        return f;
    }

    /** See {@link RaftNode#transferLeadership}. */
    CompletableFuture<Integer> transferLeadership(int target) {
        CompletableFuture<Integer> f = new CompletableFuture<>();
        raftStage.execute(() -> {
            RaftCore core = leaderOrRefuse(f);
            if (core == null) {
                return;
            }
            if (transfers.full()) {
                f.completeExceptionally(new NodeException(
                        NodeException.Reason.OVERLOADED, node.id(), "too many leadership transfers waiting"));
                return;
            }
            if (target == node.id()) {
                f.complete(node.id()); // already leads
                return;
            }
            node.dropLease(); // a transfer may elect the target past the voters' lease: give ours up first
            if (node.step(new Input.TransferLeadership(target)) == 0) {
                f.completeExceptionally(new NodeException(
                        NodeException.Reason.NOT_LEADER,
                        node.id(),
                        "node " + target + " is not another voter of this cluster"));
                return;
            }
            transfers.add(target, f);
            node.scheduleDrain();
        });
        return f;
    }

    /** The core if this node runs and leads; else {@code f} fails with NOT_LEADER (and a hint) and null. */
    private RaftCore leaderOrRefuse(CompletableFuture<?> f) {
        RaftCore core = node.coreIfRunning();
        if (core != null && core.role() == Role.LEADER) {
            return core;
        }
        f.completeExceptionally(new NodeException(
                NodeException.Reason.NOT_LEADER, core != null ? core.leaderId() : RaftCore.NO_NODE, "not the leader"));
        return null;
    }

    /** After each ready: ends the calls whose outcome is known, and asks again for throttled changes. */
    void settle(RaftCore core) {
        transfers.settle(core);
        memberships.settle(core);
    }

    void tick() {
        memberships.tick();
    }

    /** The node stopped: every call still waiting ends with {@code why}. */
    void failAll(Throwable why) {
        transfers.failAll(why);
        memberships.failAll(why);
    }
}
