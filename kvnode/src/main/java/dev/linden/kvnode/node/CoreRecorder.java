package dev.linden.kvnode.node;

import dev.linden.kvnode.raft.Entry;
import dev.linden.kvnode.raft.HardState;
import dev.linden.kvnode.raft.Input;
import dev.linden.kvnode.raft.Membership;
import dev.linden.kvnode.raft.Message;
import dev.linden.kvnode.raft.RaftConfig;
import dev.linden.kvnode.raft.RaftCore;
import dev.linden.kvnode.raft.Ready;
import dev.linden.kvnode.raft.SnapshotMeta;
import java.util.List;

/**
 * Sees everything that goes into one node's core, in order, on the raft stage: how each core started (a start
 * or a restart of the node), every {@link Input}, every random draw and every ready taken. That is enough to
 * build the same core again and feed it the same way ({@link CoreReplay}), with no node, stage or disk.
 */
public interface CoreRecorder {
    CoreRecorder NONE = new CoreRecorder() {
        @Override
        public void started(
                int id, Membership base, RaftConfig config, HardState hs, SnapshotMeta snapshot, List<Entry> log) {}

        @Override
        public int random(int bound, int value) {
            return value;
        }

        @Override
        public void input(Input input) {}

        @Override
        public void ready(RaftCore core, Ready ready) {}
    };

    /** A new core is built from what the node recovered (the arguments of its constructor, but the random source). */
    void started(int id, Membership base, RaftConfig config, HardState hs, SnapshotMeta snapshot, List<Entry> log);

    /** The core drew {@code value} in [0, bound); returns it. */
    int random(int bound, int value);

    /** The node feeds the core {@code input}. */
    void input(Input input);

    /** The node took {@code ready} from the core (recorded as its {@link #digest}). */
    void ready(RaftCore core, Ready ready);

    /**
     * A digest of a ready and of the core's state after it: what a replay must reproduce. Payload bytes are left
     * out (their indexes and terms are in), so the digest is the same in any JVM.
     */
    static long digest(RaftCore core, Ready r) {
        StringBuilder b = new StringBuilder();
        b.append(core.term()).append(' ').append(core.role()).append(' ').append(core.leaderId());
        b.append(' ')
                .append(core.commitIndex())
                .append(' ')
                .append(core.lastIndex())
                .append(' ');
        b.append(core.appliedIndex())
                .append('|')
                .append(r.hardState())
                .append('|')
                .append(r.softState());
        if (r.logWrite() != null) {
            b.append("|write ")
                    .append(r.logWrite().writeId())
                    .append(' ')
                    .append(r.logWrite().firstIndex());
            b.append('-').append(r.logWrite().lastIndex());
        }
        for (Message m : r.messages()) {
            b.append('|')
                    .append(m.getClass().getSimpleName())
                    .append(' ')
                    .append(m.from())
                    .append('>');
            b.append(m.to()).append(' ').append(m.term());
            if (m instanceof Message.AppendRequest a) {
                b.append(' ')
                        .append(a.prevLogIndex())
                        .append('+')
                        .append(a.entries().size());
                b.append(' ').append(a.leaderCommit());
            }
        }
        for (Entry e : r.committed()) {
            b.append("|commit ").append(e.index()).append('@').append(e.term());
        }
        b.append('|')
                .append(r.readStates())
                .append('|')
                .append(r.failedReads())
                .append('|')
                .append(r.notices());
        for (Ready.Fetch f : r.fetches()) {
            b.append("|fetch ")
                    .append(f.peer())
                    .append(' ')
                    .append(f.fromIndex())
                    .append(' ')
                    .append(f.maxEntries());
        }
        if (r.restore() != null) {
            b.append("|restore ")
                    .append(r.restore().index())
                    .append('@')
                    .append(r.restore().term());
        }
        long h = 0xcbf29ce484222325L; // FNV-1a, 64 bits
        for (int i = 0; i < b.length(); i++) {
            h = (h ^ b.charAt(i)) * 0x100000001b3L;
        }
        return h;
    }
}
