package dev.linden.kvnode.node;

import dev.linden.kvnode.raft.CommitQuorum;
import dev.linden.kvnode.raft.Message;
import dev.linden.kvnode.raft.RaftCore;
import dev.linden.kvnode.raft.Ready;
import dev.linden.kvnode.raft.Role;
import java.util.List;

/**
 * What a {@link RaftNode} tells its {@link NodeListener} about each ready beyond the soft state: votes it
 * grants, commit advances with the term of the entry, and the log it holds when it becomes leader. Runs on
 * the raft stage; costs a pass over the ready's messages and, once per election, a few binary searches of
 * the log's terms.
 */
final class ListenerTaps {
    private static final int[] NONE = new int[0];

    private ListenerTaps() {}

    /** Real votes granted in {@code messages} (sent after the hard state that records them is durable). */
    static void votes(NodeListener listener, int id, List<Message> messages) {
        for (Message m : messages) {
            if (m instanceof Message.VoteResponse r && r.granted() && !r.preVote()) {
                listener.onVoteGranted(id, r.term(), r.to());
            }
        }
    }

    /** The commit index's move and the election between the soft state {@code before} and {@code now}. */
    static void softState(NodeListener listener, int id, RaftCore core, Ready.SoftState before, Ready.SoftState now) {
        boolean ledBefore = before.role() == Role.LEADER && before.term() == now.term();
        boolean leads = now.role() == Role.LEADER;
        if (now.commitIndex() != before.commitIndex()) { // a move back too: the monitor judges it
            long entryTerm = core.termAt(now.commitIndex());
            boolean asLeader = ledBefore && leads;
            int[] counted = asLeader ? CommitQuorum.counted(core, now.commitIndex()) : NONE;
            listener.onCommitAdvanced(id, now.term(), asLeader, now.commitIndex(), entryTerm, counted);
        }
        if (leads && !ledBefore) {
            listener.onLeaderElected(id, now.term(), core.firstIndex() - 1, core.lastIndex(), core::termAt);
        }
    }
}
