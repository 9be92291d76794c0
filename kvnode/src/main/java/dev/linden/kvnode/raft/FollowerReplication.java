package dev.linden.kvnode.raft;

import dev.linden.kvnode.raft.Message.AppendRequest;
import dev.linden.kvnode.raft.Message.AppendResponse;
import dev.linden.kvnode.raft.Message.HeartbeatRequest;
import dev.linden.kvnode.raft.Message.HeartbeatResponse;

/**
 * The follower's side of replication (Raft §5.3): the rules for {@link AppendRequest} and
 * {@link HeartbeatRequest}, and acknowledgements, which never cover what this node could still lose.
 */
final class FollowerReplication {
    private final RaftCore c;

    FollowerReplication(RaftCore core) {
        this.c = core;
    }

    private FollowerState state() {
        Invariants.check(
                c.role == Role.FOLLOWER && c.follower != null,
                "replication handler off a follower",
                c.id(),
                c.term,
                c.log.lastIndex());
        return c.follower;
    }

    /** The acknowledgement this follower may give: durable and known to match the leader. */
    private long ackable(FollowerState f) {
        return c.config().bug(RaftConfig.Bug.ACK_BEFORE_DURABLE)
                ? f.verifiedIndex
                : Math.min(c.local.durableIndex, f.verifiedIndex);
    }

    void onAppend(AppendRequest m) {
        FollowerState f = state();
        Invariants.check(
                m.term() == c.term && c.leaderId == m.from(),
                "append from the leader of our term",
                c.id(),
                c.term,
                m.prevLogIndex());
        long compacted = c.log.compactedIndex();
        if (m.prevLogIndex() < compacted) {
            // Entries through the compacted index were applied here, so they are committed and match the
            // leader's (Leader Completeness): skip them and check the rest against our snapshot point.
            f.verifiedIndex = Math.max(f.verifiedIndex, compacted);
            if (m.lastIndex() <= compacted) {
                long ack = Math.min(c.local.durableIndex, f.verifiedIndex);
                f.lastAckSentIndex = Math.max(f.lastAckSentIndex, ack);
                c.send(AppendResponse.ack(c.id(), m.from(), c.term, ack));
                return;
            }
            int skip = (int) (compacted - m.prevLogIndex());
            m = new AppendRequest(
                    m.from(),
                    m.to(),
                    m.term(),
                    compacted,
                    c.log.term(compacted),
                    m.entries().subList(skip, m.entries().size()),
                    m.leaderCommit());
        }
        if (!c.log.matches(m.prevLogIndex(), m.prevLogTerm())) {
            // Fast back-off: point the leader at the last entry that can possibly match.
            long hint = Math.min(m.prevLogIndex(), c.log.lastIndex());
            while (hint > c.log.firstIndex() - 1 && c.log.term(hint) > m.prevLogTerm()) {
                hint--;
            }
            c.send(AppendResponse.reject(c.id(), m.from(), c.term, m.prevLogIndex(), hint, c.log.term(hint)));
            return;
        }
        for (Entry e : m.entries()) {
            if (e.index() <= c.log.lastIndex()) {
                if (c.log.term(e.index()) == e.term()) {
                    Invariants.check(
                            !c.log.isCached(e.index()) || c.log.entry(e.index()).equals(e),
                            "log matching: same index and term, different entry",
                            c.id(),
                            c.term,
                            e.index());
                    continue;
                }
                if (c.config().bug(RaftConfig.Bug.NO_TRUNCATE_ON_CONFLICT)) {
                    continue; // planted bug: keep our conflicting entry
                }
                Invariants.check(
                        e.index() > c.commitIndex,
                        "truncating committed entry " + e.index() + " (commit " + c.commitIndex + ")",
                        c.id(),
                        c.term,
                        e.index());
                c.local.truncateFrom(e.index());
            }
            c.local.append(e);
        }
        f.verifiedIndex = Math.max(f.verifiedIndex, m.lastIndex());
        c.advanceCommit(Math.min(m.leaderCommit(), f.verifiedIndex));
        long ack = ackable(f);
        // Answer now if everything in the request is durable, or if the leader has not yet heard of a
        // durable prefix (a new leader learns the match point in one round trip). Otherwise the ack
        // goes out when the write completes (maybeAck).
        if (ack >= m.lastIndex() || ack > f.lastAckSentIndex) {
            f.lastAckSentIndex = Math.max(f.lastAckSentIndex, ack);
            c.send(AppendResponse.ack(c.id(), m.from(), c.term, ack));
        }
    }

    void onHeartbeat(HeartbeatRequest m) {
        state();
        c.advanceCommit(Math.min(m.commitIndex(), c.log.lastIndex()));
        c.send(new HeartbeatResponse(c.id(), m.from(), c.term, m.readSeq(), c.log.lastIndex()));
    }

    /** Acknowledges newly durable entries to the leader (a follower never acks what it could lose). */
    void maybeAck() {
        if (c.role != Role.FOLLOWER || c.leaderId == RaftCore.NO_NODE) {
            return;
        }
        FollowerState f = c.follower;
        long ack = ackable(f);
        if (ack > f.lastAckSentIndex) {
            f.lastAckSentIndex = ack;
            c.send(AppendResponse.ack(c.id(), c.leaderId, c.term, ack));
        }
    }
}
