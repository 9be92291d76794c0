package dev.linden.kvnode.raft;

import java.util.List;

/** One-line descriptions of what a core asks of its driver and says to its peers, for golden traces. */
final class Trace {
    private Trace() {}

    static void ready(List<String> out, int id, Ready r) {
        if (r.hardState() != null) {
            out.add(id + ": persist term=" + r.hardState().term() + " vote="
                    + r.hardState().votedFor());
        }
        if (r.logWrite() != null) {
            Ready.LogWrite w = r.logWrite();
            out.add(id + ": write "
                    + (w.snapshot() != null ? "snapshot@" + w.snapshot().index() : entries(w.entries())));
        }
        for (Message m : r.messages()) {
            out.add(id + ": send " + message(m));
        }
        if (r.restore() != null) {
            out.add(id + ": restore snapshot@" + r.restore().index() + " "
                    + r.restore().data().length + "B");
        }
        if (!r.committed().isEmpty()) {
            out.add(id + ": apply " + entries(r.committed()));
        }
        for (Ready.ReadState rs : r.readStates()) {
            out.add(id + ": read-ready ctx=" + rs.ctx() + " index=" + rs.index());
        }
        for (long ctx : r.failedReads()) {
            out.add(id + ": read-failed ctx=" + ctx);
        }
        for (String n : r.notices()) {
            out.add(id + ": notice " + n);
        }
    }

    /** Entries as index@term runs with their commands: {@code 1@1(noop) 2@1(a) 3@1(b)}. */
    static String entries(List<Entry> es) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < es.size(); i++) {
            Entry e = es.get(i);
            b.append(i == 0 ? "" : " ")
                    .append(e.index())
                    .append('@')
                    .append(e.term())
                    .append('(')
                    .append(
                            e.kind() == Entry.Kind.COMMAND
                                    ? new String(e.command())
                                    : e.kind() == Entry.Kind.CONFIG
                                            ? "config{" + Membership.decode(e.command()) + "}"
                                            : e.kind().name().toLowerCase())
                    .append(')');
        }
        return b.append(']').toString();
    }

    static String message(Message m) {
        String head = m.from() + "->" + m.to() + " t" + m.term() + " ";
        if (m instanceof Message.VoteRequest v) {
            return head + (v.preVote() ? "PreVote" : "Vote") + " last=" + v.lastLogIndex() + "@" + v.lastLogTerm()
                    + (v.transfer() ? " transfer" : "");
        }
        if (m instanceof Message.VoteResponse v) {
            return head + (v.preVote() ? "PreVoteResp" : "VoteResp") + (v.granted() ? " granted" : " rejected");
        }
        if (m instanceof Message.AppendRequest a) {
            return head + "App prev=" + a.prevLogIndex() + "@" + a.prevLogTerm() + " commit=" + a.leaderCommit() + " "
                    + entries(a.entries());
        }
        if (m instanceof Message.AppendResponse a) {
            return head
                    + (a.success()
                            ? "AppResp ack=" + a.matchIndex()
                            : "AppResp reject=" + a.rejectedPrevIndex() + " hint=" + a.hintIndex() + "@"
                                    + a.hintTerm());
        }
        if (m instanceof Message.HeartbeatRequest h) {
            return head + "Heartbeat commit=" + h.commitIndex() + " read=" + h.readSeq();
        }
        if (m instanceof Message.HeartbeatResponse h) {
            return head + "HeartbeatResp read=" + h.readSeq() + " last=" + h.lastLogIndex();
        }
        if (m instanceof Message.InstallSnapshot s) {
            return head + "Snapshot " + s.snapshotIndex() + "@" + s.snapshotTerm() + " bytes " + s.offset() + "+"
                    + s.length() + "/" + s.totalBytes();
        }
        if (m instanceof Message.TimeoutNow) {
            return head + "TimeoutNow";
        }
        if (m instanceof Message.SnapshotResponse s) {
            return head + "SnapshotResp " + s.snapshotIndex() + " next=" + s.nextOffset();
        }
        return head + m;
    }
}
