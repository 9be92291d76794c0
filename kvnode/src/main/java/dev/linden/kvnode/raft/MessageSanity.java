package dev.linden.kvnode.raft;

import dev.linden.kvnode.raft.Message.AppendRequest;
import dev.linden.kvnode.raft.Message.AppendResponse;
import dev.linden.kvnode.raft.Message.HeartbeatRequest;
import dev.linden.kvnode.raft.Message.HeartbeatResponse;
import dev.linden.kvnode.raft.Message.InstallSnapshot;
import dev.linden.kvnode.raft.Message.SnapshotResponse;
import dev.linden.kvnode.raft.Message.VoteRequest;

/**
 * What no real peer can send, checked before a message is believed: terms and indexes beyond what any
 * cluster reaches (they would overflow at the next {@code + 1}), or negative; a log term above the
 * sender's own term (a leader's entries and a candidate's last entry are never of a later term than its
 * own); entries that do not follow each other from {@code prevLogIndex + 1}, or whose terms go down. Such
 * a message is forged or corrupted; it is dropped with a notice, never acted on. Authentication keeps
 * strangers off the peer port; this keeps a damaged or buggy peer from doing harm that lasts.
 */
final class MessageSanity {
    /** No real cluster reaches this term or index (one a nanosecond would take 146 years). */
    static final long MAX = 1L << 62;

    private MessageSanity() {}

    /** Why {@code m} cannot come from a real peer, or null. */
    static String problem(Message m) {
        if (bad(m.term())) {
            return "term " + m.term() + " (no real cluster reaches it)";
        }
        if (m instanceof AppendRequest a) {
            return append(a);
        }
        if (m instanceof VoteRequest v) {
            return bad(v.lastLogIndex()) || bad(v.lastLogTerm()) || v.lastLogTerm() > v.term()
                    ? "last log entry " + v.lastLogIndex() + " of term " + v.lastLogTerm()
                            + " in a vote request of term " + v.term()
                    : null;
        }
        if (m instanceof HeartbeatRequest h) {
            return bad(h.commitIndex()) ? "commit index " + h.commitIndex() : null;
        }
        if (m instanceof InstallSnapshot s) {
            return bad(s.snapshotIndex())
                            || bad(s.snapshotTerm())
                            || s.snapshotTerm() > s.term()
                            || s.offset() < 0
                            || s.length() < 0
                            || s.totalBytes() < 0
                            || s.offset() > s.totalBytes()
                    ? "snapshot " + s.snapshotIndex() + " of term " + s.snapshotTerm() + " (offset " + s.offset()
                            + ", length " + s.length() + ", total " + s.totalBytes() + ") in a message of term "
                            + s.term()
                    : null;
        }
        if (m instanceof AppendResponse r) {
            return bad(r.matchIndex()) || r.rejectedPrevIndex() > MAX || r.hintIndex() > MAX || r.hintTerm() > MAX
                    ? "match index " + r.matchIndex() + " (hint " + r.hintIndex() + ")"
                    : null;
        }
        if (m instanceof HeartbeatResponse r) {
            return r.lastLogIndex() > MAX ? "last log index " + r.lastLogIndex() : null;
        }
        if (m instanceof SnapshotResponse r) {
            return r.snapshotIndex() > MAX || r.nextOffset() > MAX ? "snapshot " + r.snapshotIndex() : null;
        }
        return null;
    }

    private static String append(AppendRequest a) {
        if (bad(a.prevLogIndex()) || bad(a.prevLogTerm()) || bad(a.leaderCommit()) || a.prevLogTerm() > a.term()) {
            return "previous entry " + a.prevLogIndex() + " of term " + a.prevLogTerm() + ", commit " + a.leaderCommit()
                    + ", in an append of term " + a.term();
        }
        long index = a.prevLogIndex();
        long term = a.prevLogTerm();
        for (Entry e : a.entries()) {
            if (e.index() != index + 1 || e.term() < term || e.term() > a.term()) {
                return "entry " + e.index() + " of term " + e.term() + " after entry " + index + " of term " + term
                        + ", in an append of term " + a.term();
            }
            index = e.index();
            term = e.term();
        }
        return null;
    }

    private static boolean bad(long v) {
        return v < 0 || v > MAX;
    }
}
