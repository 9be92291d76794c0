package dev.linden.kvnode.raft;

import dev.linden.kvnode.raft.Message.AppendRequest;
import dev.linden.kvnode.raft.Message.AppendResponse;
import dev.linden.kvnode.raft.Message.HeartbeatRequest;
import dev.linden.kvnode.raft.Message.HeartbeatResponse;
import java.util.Arrays;
import java.util.List;

/**
 * The leader's side of replication (Raft §5.3, §5.4): heartbeats and check-quorum, pipelined appends per
 * follower ({@link Progress}), fetching evicted entries back from storage, the rules for
 * {@link AppendResponse} and {@link HeartbeatResponse}, and the commit rule (Figure 8).
 */
final class LeaderReplication {
    private final RaftCore c;

    LeaderReplication(RaftCore core) {
        this.c = core;
    }

    private LeaderState leader() {
        Invariants.check(
                c.role == Role.LEADER && c.leader != null,
                "leader handler off a leader",
                c.id(),
                c.term,
                c.log.lastIndex());
        return c.leader;
    }

    void tick() {
        LeaderState l = leader();
        l.heartbeatElapsedTicks++;
        c.transfer.tick();
        c.memberships.tick();
        c.election.electionElapsedTicks++;
        if (c.election.electionElapsedTicks >= c.config().electionTimeoutTicks()) {
            c.election.electionElapsedTicks = 0;
            if (c.config().checkQuorum()) {
                int active = 1;
                for (Progress pr : l.progress.values()) {
                    if (pr.recentActive && pr.voter) {
                        active++;
                    }
                    pr.recentActive = false;
                }
                if (active < c.quorum()) {
                    c.roles.becomeFollower(c.term, RaftCore.NO_NODE);
                    return;
                }
            }
        }
        for (Progress pr : l.progress.values()) {
            if (pr.state == Progress.State.REPLICATE
                    && !pr.inflightLastIndexes.isEmpty()
                    && ++pr.ticksWithoutProgress >= c.config().electionTimeoutTicks()) {
                // Appends were lost (or the follower restarted): fall back to probing from the match point.
                pr.becomeProbe(pr.matchIndex + 1);
                l.appendsPending = true;
            } else if (pr.state == Progress.State.SNAPSHOT
                    && ++pr.ticksWithoutProgress >= c.config().electionTimeoutTicks()) {
                // A chunk or its answer was lost: send it again; if all was sent, probe to learn the outcome.
                pr.ticksWithoutProgress = 0;
                if (pr.snapshotOffset >= pr.snapshotBytes) {
                    pr.becomeProbe(pr.matchIndex + 1);
                } else {
                    pr.chunkInFlight = false;
                }
                l.appendsPending = true;
            }
        }
        if (l.heartbeatElapsedTicks >= c.config().heartbeatIntervalTicks()) {
            l.heartbeatElapsedTicks = 0;
            broadcastHeartbeat();
        }
    }

    void broadcastHeartbeat() {
        LeaderState l = leader();
        for (Progress pr : l.progress.values()) {
            c.send(new HeartbeatRequest(
                    c.id(), pr.nodeId, c.term, Math.min(c.commitIndex, pr.matchIndex), l.reads.readSeq));
        }
    }

    /** Sends what each follower is due, if anything may be (called once per ready). */
    void flush() {
        LeaderState l = leader();
        if (l.appendsPending) {
            l.appendsPending = false;
            for (Progress pr : l.progress.values()) {
                sendAppends(pr);
            }
        }
    }

    private void sendAppends(Progress pr) {
        if (pr.state == Progress.State.SNAPSHOT) {
            if (!pr.chunkInFlight && pr.snapshotOffset < pr.snapshotBytes) {
                c.snapshots.sendChunk(pr);
            }
            return;
        }
        if (pr.state == Progress.State.PROBE) {
            boolean needed = pr.nextIndex <= c.log.lastIndex() || pr.matchIndex < c.log.lastIndex() || pr.probeRequired;
            if (!pr.probeSent && !pr.fetchPending && needed) {
                sendAppend(pr);
            }
            return;
        }
        // Pipelining: keep up to maxInflightAppends batches in flight, nextIndex advancing optimistically.
        int bound = c.config().maxInflightAppends();
        while (pr.canSend() && pr.nextIndex <= c.log.lastIndex() && bound-- > 0) {
            sendAppend(pr);
        }
    }

    private void sendAppend(Progress pr) {
        long prev = pr.nextIndex - 1;
        long prevTerm = c.log.term(prev);
        if (prev < c.log.compactedIndex()) {
            // The follower needs entries we no longer hold: send our snapshot instead.
            c.snapshots.start(pr);
            return;
        }
        Invariants.check(prevTerm >= 0, "no term for prevLogIndex " + prev, c.id(), c.term, prev);
        if (pr.nextIndex <= c.log.lastIndex() && !c.log.isCached(pr.nextIndex)) {
            // Evicted from memory: read back from storage (rare: a follower far behind), then sent.
            pr.fetchPending = true;
            if (pr.state == Progress.State.PROBE) {
                pr.probeSent = true;
            }
            c.out.fetches.add(new Ready.Fetch(
                    pr.nodeId,
                    pr.nextIndex,
                    c.config().maxBatchEntries() * 8,
                    (long) c.config().maxBatchBytes() * 8,
                    c.log.termLookup()));
            return;
        }
        List<Entry> entries = c.log.slice(
                pr.nextIndex, c.config().maxBatchEntries(), c.config().maxBatchBytes());
        c.send(new AppendRequest(c.id(), pr.nodeId, c.term, prev, prevTerm, entries, c.commitIndex));
        pr.sent(prev + entries.size());
    }

    /** Entries read back from storage for follower {@code peer}. */
    void fetched(int peer, long fromIndex, List<Entry> entries) {
        Progress pr = c.leader.progress.get(peer);
        if (pr == null) {
            return;
        }
        pr.fetchPending = false;
        c.leader.appendsPending = true;
        if (pr.state == Progress.State.SNAPSHOT || pr.nextIndex != fromIndex || c.log.term(fromIndex - 1) < 0) {
            return; // the follower moved on meanwhile; the next round decides again
        }
        int valid = 0;
        for (Entry e : entries) {
            if (e.index() != fromIndex + valid || c.log.term(e.index()) != e.term()) {
                break;
            }
            valid++;
        }
        if (valid == 0) {
            fetchFailed(peer); // storage no longer has them (or never had): retry paced, or snapshot
            return;
        }
        if (pr.state == Progress.State.PROBE) {
            pr.probeSent = false;
        }
        if (!pr.canSend()) {
            return;
        }
        List<Entry> batch = valid == entries.size() ? entries : entries.subList(0, valid);
        c.send(new AppendRequest(
                c.id(),
                pr.nodeId,
                c.term,
                fromIndex - 1,
                c.log.term(fromIndex - 1),
                List.copyOf(batch),
                c.commitIndex));
        pr.sent(fromIndex - 1 + valid);
    }

    void fetchFailed(int peer) {
        Progress pr = c.leader.progress.get(peer);
        if (pr == null) {
            return;
        }
        pr.fetchPending = false;
        if (pr.state != Progress.State.SNAPSHOT) {
            pr.becomeProbe(pr.matchIndex + 1);
            pr.probeSent = true; // paced: cleared by the next heartbeat answer
        }
    }

    void onAppendResponse(AppendResponse m) {
        LeaderState l = leader();
        Invariants.check(
                m.term() == c.term,
                "append response of another term reached the handler",
                c.id(),
                c.term,
                m.matchIndex());
        Progress pr = l.progress.get(m.from());
        if (pr == null) {
            return;
        }
        pr.recentActive = true;
        pr.probeRequired = false;
        if (m.success()) {
            Invariants.check(
                    m.matchIndex() <= c.log.lastIndex(),
                    "follower " + m.from() + " acked beyond our log",
                    c.id(),
                    c.term,
                    m.matchIndex());
            pr.acked(m.matchIndex());
            maybeCommit();
            c.transfer.maybeSendTimeoutNow();
            l.appendsPending = true;
            return;
        }
        if (pr.state == Progress.State.SNAPSHOT) {
            return; // the snapshot transfer decides where this follower resumes
        }
        boolean stale = pr.state == Progress.State.REPLICATE
                ? m.rejectedPrevIndex() <= pr.matchIndex
                : m.rejectedPrevIndex() != pr.nextIndex - 1;
        if (stale || m.rejectedPrevIndex() < 0) {
            return;
        }
        if (m.rejectedPrevIndex() <= pr.matchIndex) {
            // The follower refuses an index it acknowledged: it no longer holds log it once made durable (its
            // data dir was replaced, or the tail of its log was cut). The match index recorded for it is no
            // longer true, so it must not count towards commits at it; find the point of agreement again.
            // Lowering a match index is always safe (commit never moves back; it only waits for fresh acks).
            c.out.notices.add("follower " + m.from() + " lost log it had acknowledged: it rejects index "
                    + m.rejectedPrevIndex() + " (acknowledged through " + pr.matchIndex + "), its log ends at "
                    + m.hintIndex() + "; repairing it");
            pr.matchIndex = 0;
        }
        // Skip back to the last index whose term could match the follower's hint.
        long next = Math.min(m.hintIndex(), c.log.lastIndex());
        while (next > pr.matchIndex && c.log.term(next) > m.hintTerm()) {
            next--;
        }
        long newNext = Math.max(pr.matchIndex + 1, next + 1);
        if (pr.state == Progress.State.PROBE && newNext == pr.nextIndex) {
            // The same probe again: wait for the next heartbeat answer rather than spin.
            return;
        }
        pr.becomeProbe(newNext);
        l.appendsPending = true;
    }

    void onHeartbeatResponse(HeartbeatResponse m) {
        LeaderState l = leader();
        Invariants.check(
                m.term() == c.term,
                "heartbeat response of another term reached the handler",
                c.id(),
                c.term,
                m.readSeq());
        Progress pr = l.progress.get(m.from());
        if (pr == null) {
            return;
        }
        pr.recentActive = true;
        pr.readSeqAcked = Math.max(pr.readSeqAcked, m.readSeq());
        if (pr.state == Progress.State.PROBE) {
            pr.probeSent = false;
        }
        if (m.lastLogIndex() < pr.matchIndex && pr.state != Progress.State.SNAPSHOT) {
            // The follower holds less than it acknowledged: it lost log (or this answer is old). Probe at the
            // match point; a rejection there is the evidence that repairs it, an ack costs one message.
            pr.becomeProbe(pr.matchIndex + 1);
            pr.probeRequired = true;
        }
        if (pr.matchIndex < c.log.lastIndex() || pr.probeRequired) {
            l.appendsPending = true;
        }
        l.reads.releaseConfirmed();
    }

    /** How far the commit rule counts this leader as holding its log: what it holds durably. */
    long selfMatch() {
        return c.config().bug(RaftConfig.Bug.LEADER_COUNTS_UNDURABLE_SELF) ? c.log.lastIndex() : c.local.durableIndex;
    }

    /** Commits the highest index durable on a quorum, if it is of the current term (Figure 8). */
    void maybeCommit() {
        LeaderState l = leader();
        int[] voters = c.votersArray();
        long[] matches = new long[voters.length];
        int i = 0;
        for (int v : voters) {
            matches[i++] = v == c.id() ? selfMatch() : l.progress.get(v).matchIndex;
        }
        Arrays.sort(matches);
        long quorumIndex = matches[voters.length - c.quorum()];
        if (quorumIndex > c.commitIndex
                && (c.log.term(quorumIndex) == c.term || c.config().bug(RaftConfig.Bug.COMMIT_BY_COUNTING))) {
            c.advanceCommit(quorumIndex);
            l.appendsPending = true; // followers learn the new commit index with the next append
            if (c.committedInOwnTerm()) {
                l.reads.ownTermCommitted(c.commitIndex);
            }
        }
    }
}
