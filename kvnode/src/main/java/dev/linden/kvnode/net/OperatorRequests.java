package dev.linden.kvnode.net;

import dev.linden.kvnode.node.MembershipChangeEndedException;
import dev.linden.kvnode.node.NodeException;
import dev.linden.kvnode.node.RaftNode;
import dev.linden.kvnode.raft.MembershipChange;
import dev.linden.kvnode.raft.Ready;
import dev.linden.kvnode.service.ClientResponse;
import java.util.concurrent.CompletionException;

/**
 * The client port's answers to what is not a KV request: a request the decoder found invalid, the status,
 * and the operator's leadership transfer and membership change (an admin's or a node's connection only).
 */
final class OperatorRequests {
    static final String NOT_ADMIN = "not allowed: membership changes and leadership transfers need an admin's "
            + "or a node's certificate of this cluster";

    private OperatorRequests() {}

    static void answer(RaftNode node, ClientPortConnection.Link link, Object msg) {
        if (msg instanceof Wire.InvalidRequest bad) {
            link.write(ClientResponse.refused(
                    bad.requestId(), ClientResponse.Status.INVALID, node.leaderHint(), bad.reason()));
        } else if (msg instanceof Wire.TransferRequest req && !link.mayAdminister()) {
            link.write(new Wire.TransferResponse(req.requestId(), false, node.leaderHint(), NOT_ADMIN));
        } else if (msg instanceof Wire.MembershipRequest req && !link.mayAdminister()) {
            link.write(new Wire.MembershipResponse(
                    req.requestId(), Wire.MembershipResponse.Outcome.REFUSED, node.leaderHint(), NOT_ADMIN));
        } else if (msg instanceof Wire.TransferRequest req) {
            node.transferLeadership(req.target()).whenComplete((leader, err) -> {
                link.write(
                        err == null
                                ? new Wire.TransferResponse(req.requestId(), true, leader, "node " + leader + " leads")
                                : new Wire.TransferResponse(
                                        req.requestId(),
                                        false,
                                        node.leaderHint(),
                                        unwrap(err).getMessage()));
            });
        } else if (msg instanceof Wire.MembershipRequest req) {
            changeMembership(node, link, req);
        } else if (msg instanceof Wire.StatusRequest req) {
            Ready.SoftState s = node.softState();
            link.write(new Wire.StatusResponse(
                    req.requestId(),
                    node.id(),
                    s.role().name(),
                    s.term(),
                    s.leaderId(),
                    s.commitIndex(),
                    s.appliedIndex()));
        } else {
            throw new Wire.BadFrameException("unexpected " + msg.getClass().getSimpleName() + " on the client port");
        }
    }

    private static Throwable unwrap(Throwable err) {
        return err instanceof CompletionException ce && ce.getCause() != null ? ce.getCause() : err;
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
    private static void changeMembership(RaftNode node, ClientPortConnection.Link link, Wire.MembershipRequest req) {
        MembershipChange change;
        try {
            change = new MembershipChange(MembershipChange.Kind.valueOf(req.kind()), req.nodeId(), req.address());
        } catch (IllegalArgumentException e) {
            link.write(new Wire.MembershipResponse(
                    req.requestId(),
                    Wire.MembershipResponse.Outcome.REFUSED,
                    node.leaderHint(),
                    "bad membership change: " + e.getMessage()));
            return;
        }
        node.changeMembership(change).whenComplete((m, err) -> {
            Throwable cause = unwrap(err);
            int leader = cause instanceof NodeException ne ? ne.leaderHint() : node.leaderHint();
            link.write(
                    err == null
                            ? new Wire.MembershipResponse(
                                    req.requestId(),
                                    Wire.MembershipResponse.Outcome.COMMITTED,
                                    node.id(),
                                    change + ": " + m)
                            : new Wire.MembershipResponse(
                                    req.requestId(), membershipOutcome(cause), leader, cause.getMessage()));
        });
    }
}
