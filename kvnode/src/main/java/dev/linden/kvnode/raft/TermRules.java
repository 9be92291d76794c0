package dev.linden.kvnode.raft;

import dev.linden.kvnode.raft.Message.AppendRequest;
import dev.linden.kvnode.raft.Message.AppendResponse;
import dev.linden.kvnode.raft.Message.HeartbeatRequest;
import dev.linden.kvnode.raft.Message.HeartbeatResponse;
import dev.linden.kvnode.raft.Message.InstallSnapshot;
import dev.linden.kvnode.raft.Message.SnapshotResponse;
import dev.linden.kvnode.raft.Message.TimeoutNow;
import dev.linden.kvnode.raft.Message.VoteRequest;
import dev.linden.kvnode.raft.Message.VoteResponse;

/**
 * What every message meets first: the term rules (Raft §5.1: a newer term makes this node a follower of
 * it, an older one is answered so that its sender learns), with their two exceptions, PreVote traffic
 * (thesis §9.6), which never moves a term, and the leader lease for votes (thesis §4.2.3); then the
 * message goes to the rule of its kind.
 */
final class TermRules {
    private final RaftCore c;

    TermRules(RaftCore core) {
        this.c = core;
    }

    /** No real cluster reaches this term: see {@link MessageSanity}. */
    static final long MAX_TERM = MessageSanity.MAX;

    void step(Message m) {
        String insane = MessageSanity.problem(m);
        if (insane != null) {
            // Forged or corrupted: believing a term beyond MAX_TERM would leave every node at a term whose
            // successor overflows, so that no election could ever succeed again.
            c.notice("ignored a " + m.getClass().getSimpleName() + " from node " + m.from() + " with " + insane
                    + ": no real peer sends that (a forged or corrupted message)");
            return;
        }
        if (m.term() > c.term) {
            if (m instanceof VoteRequest vr) {
                if (c.election.inLeaderLease() && !vr.transfer()) {
                    // We heard from a live leader within the election timeout: a node that cannot see it
                    // must not depose it (thesis §4.2.3). PreVotes get an explicit no.
                    if (vr.preVote()) {
                        c.send(new VoteResponse(c.id(), vr.from(), c.term, true, false));
                    }
                    return;
                }
                if (!vr.preVote()) {
                    c.roles.becomeFollower(m.term(), RaftCore.NO_NODE);
                }
            } else if (m instanceof VoteResponse vresp && vresp.preVote() && vresp.granted()) {
                // A granted PreVote carries the term we would campaign in; it does not move us there.
            } else {
                c.roles.becomeFollower(m.term(), fromLeader(m) ? m.from() : RaftCore.NO_NODE);
            }
        } else if (m.term() < c.term) {
            if (fromLeader(m)) {
                c.send(AppendResponse.staleTerm(c.id(), m.from(), c.term)); // so the stale leader steps down
            } else if (m instanceof VoteRequest vr && vr.preVote()) {
                c.send(new VoteResponse(c.id(), vr.from(), c.term, true, false));
            }
            return;
        }
        dispatch(m);
    }

    private static boolean fromLeader(Message m) {
        return m instanceof AppendRequest
                || m instanceof HeartbeatRequest
                || m instanceof InstallSnapshot
                || m instanceof TimeoutNow;
    }

    private void dispatch(Message m) {
        if (m instanceof VoteRequest vr) {
            c.election.onVoteRequest(vr);
        } else if (m instanceof VoteResponse vr) {
            c.election.onVoteResponse(vr);
        } else if (m instanceof AppendRequest ar) {
            c.roles.acceptLeader(ar.from());
            c.followerReplication.onAppend(ar);
        } else if (m instanceof HeartbeatRequest hb) {
            c.roles.acceptLeader(hb.from());
            c.followerReplication.onHeartbeat(hb);
        } else if (m instanceof InstallSnapshot is) {
            c.roles.acceptLeader(is.from());
            c.snapshots.onInstallSnapshot(is);
        } else if (m instanceof TimeoutNow t) {
            c.roles.acceptLeader(t.from());
            c.transfer.onTimeoutNow(t);
        } else if (c.role == Role.LEADER) {
            // Answers reach only a leader; a node that stepped down meanwhile ignores them.
            if (m instanceof AppendResponse ar) {
                c.replication.onAppendResponse(ar);
            } else if (m instanceof HeartbeatResponse hr) {
                c.replication.onHeartbeatResponse(hr);
            } else if (m instanceof SnapshotResponse sr) {
                c.snapshots.onSnapshotResponse(sr);
            }
        }
    }
}
