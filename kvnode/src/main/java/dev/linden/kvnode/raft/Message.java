package dev.linden.kvnode.raft;

import java.util.List;

/**
 * Messages between Raft peers. Every message carries the sender's term; a higher term in any message
 * makes the receiver step down (Raft §5.1), except PreVote traffic, which never changes terms.
 */
public sealed interface Message
        permits Message.VoteRequest,
                Message.VoteResponse,
                Message.AppendRequest,
                Message.AppendResponse,
                Message.HeartbeatRequest,
                Message.HeartbeatResponse,
                Message.InstallSnapshot,
                Message.SnapshotResponse,
                Message.TimeoutNow {

    int from();

    int to();

    long term();

    /**
     * RequestVote (Raft §5.2) or PreVote (thesis §9.6). For a PreVote, {@code term} is the term the
     * candidate would campaign in (its current term + 1); the receiver's term does not change.
     */
    record VoteRequest(
            int from, int to, long term, boolean preVote, long lastLogIndex, long lastLogTerm, boolean transfer)
            implements Message {
        /** An ordinary request, not part of a leadership transfer. */
        public VoteRequest(int from, int to, long term, boolean preVote, long lastLogIndex, long lastLogTerm) {
            this(from, to, term, preVote, lastLogIndex, lastLogTerm, false);
        }
    }

    /**
     * From the leader to the target of a leadership transfer (thesis §3.10), once the target's log matches
     * the leader's: campaign now. Its vote requests then carry {@code transfer}.
     */
    record TimeoutNow(int from, int to, long term) implements Message {}

    record VoteResponse(int from, int to, long term, boolean preVote, boolean granted) implements Message {}

    /**
     * AppendEntries (Raft §5.3). {@code entries} are contiguous and start at {@code prevLogIndex + 1}.
     */
    record AppendRequest(
            int from, int to, long term, long prevLogIndex, long prevLogTerm, List<Entry> entries, long leaderCommit)
            implements Message {
        public long lastIndex() {
            return prevLogIndex + entries.size();
        }
    }

    /**
     * Answer to an AppendRequest. On success {@code matchIndex} is the highest index the follower holds
     * <em>durably</em> and knows to match the leader. On rejection {@code rejectedPrevIndex} names the
     * request that failed and ({@code hintIndex}, {@code hintTerm}) let the leader skip back a whole term
     * at a time (fast back-off, Raft §5.3 end).
     */
    record AppendResponse(
            int from,
            int to,
            long term,
            boolean success,
            long matchIndex,
            long rejectedPrevIndex,
            long hintIndex,
            long hintTerm)
            implements Message {
        /** Success: the follower holds, durably and matching the leader, everything through {@code matchIndex}. */
        public static AppendResponse ack(int from, int to, long term, long matchIndex) {
            return new AppendResponse(from, to, term, true, matchIndex, 0, 0, 0);
        }

        /** Rejection of the request at {@code rejectedPrevIndex}; the hint points at the last possible match. */
        public static AppendResponse reject(
                int from, int to, long term, long rejectedPrevIndex, long hintIndex, long hintTerm) {
            return new AppendResponse(from, to, term, false, 0, rejectedPrevIndex, hintIndex, hintTerm);
        }

        /** To a leader of an older term: {@code term} is newer, step down. Names no request. */
        public static AppendResponse staleTerm(int from, int to, long term) {
            return new AppendResponse(from, to, term, false, 0, -1, 0, 0);
        }
    }

    /**
     * Leader heartbeat. {@code commitIndex} is already clamped by the leader to what the follower is known
     * to match. {@code readSeq} identifies the ReadIndex round this heartbeat confirms.
     */
    record HeartbeatRequest(int from, int to, long term, long commitIndex, long readSeq) implements Message {}

    /**
     * @param lastLogIndex the follower's last log index: below the match index the leader recorded for it,
     *                     the follower has lost log it acknowledged, and the leader probes it to repair it
     */
    record HeartbeatResponse(int from, int to, long term, long readSeq, long lastLogIndex) implements Message {}

    /**
     * One chunk of a snapshot (Raft §7), sent when a follower needs entries the leader has compacted.
     * Chunks go one at a time, in order. The core emits it with {@code data == null} and the byte range
     * ({@code offset}, {@code length}); the driver fills the bytes from the snapshot it holds.
     */
    record InstallSnapshot(
            int from,
            int to,
            long term,
            long snapshotIndex,
            long snapshotTerm,
            long totalBytes,
            long offset,
            int length,
            byte[] data)
            implements Message {
        public InstallSnapshot withData(byte[] bytes) {
            return new InstallSnapshot(from, to, term, snapshotIndex, snapshotTerm, totalBytes, offset, length, bytes);
        }

        public boolean last() {
            return offset + length == totalBytes;
        }
    }

    /**
     * Progress of a snapshot transfer: the follower holds {@code nextOffset} bytes of the snapshot at
     * {@code snapshotIndex} (0 when it must start over). Completion is acknowledged by an ordinary
     * successful AppendResponse once the installed snapshot is durable.
     */
    record SnapshotResponse(int from, int to, long term, long snapshotIndex, long nextOffset) implements Message {}
}
