package dev.linden.kvnode.raft;

import java.util.ArrayList;
import java.util.List;

/**
 * What the core has for its driver, accumulated between two {@link RaftCore#ready()} calls, and the
 * assembly of one {@link Ready} from it (see {@link Ready} for the order the driver must follow).
 * Every list is drained by each ready, so none outgrows what one batch of inputs produced.
 */
final class Outputs {
    private final RaftCore c;
    final ArrayList<Message> outbox = new ArrayList<>();
    /** Events an operator should see in the node's log (bounded: at most one per input handled). */
    final ArrayList<String> notices = new ArrayList<>();

    final ArrayList<Ready.ReadState> readStates = new ArrayList<>();
    final ArrayList<Long> failedReads = new ArrayList<>();
    final ArrayList<Ready.Fetch> fetches = new ArrayList<>();

    Outputs(RaftCore core) {
        this.c = core;
    }

    boolean hasReady() {
        return c.hardStateDirty
                || c.local.hasUnwritten()
                || !outbox.isEmpty()
                || canHandOutCommitted()
                || !readStates.isEmpty()
                || !failedReads.isEmpty()
                || c.snapshotToRestore != null
                || !fetches.isEmpty()
                || !notices.isEmpty()
                || (c.leader != null && (c.leader.appendsPending || c.leader.reads.roundDue()));
    }

    Ready ready() {
        if (c.leader != null) {
            c.leader.reads.startRound();
            c.replication.flush();
        }
        HardState hs = null;
        if (c.hardStateDirty) {
            // (the planted bug VOTE_NOT_PERSISTED writes the term but forgets the vote)
            hs = new HardState(
                    c.term,
                    c.config().bug(RaftConfig.Bug.VOTE_NOT_PERSISTED) ? RaftCore.NO_NODE : c.votedFor,
                    c.lostLog.lostThroughTerm());
            c.hardStateDirty = false;
        }
        Ready.LogWrite write = c.local.nextWrite(c.id(), c.term);
        List<Entry> committed = List.of();
        if (canHandOutCommitted()) {
            long upTo =
                    Math.min(c.commitIndex, c.handedToApplyIndex + c.config().maxApplyBatchEntries());
            committed = new ArrayList<>((int) (upTo - c.handedToApplyIndex));
            for (long i = c.handedToApplyIndex + 1; i <= upTo; i++) {
                committed.add(c.log.entry(i));
            }
            c.handedToApplyIndex = upTo;
        }
        Snapshot restore = c.snapshotToRestore;
        c.snapshotToRestore = null;
        return new Ready(
                hs,
                write,
                drain(outbox),
                committed,
                drain(readStates),
                drain(failedReads),
                new Ready.SoftState(c.role, c.term, c.leaderId, c.commitIndex, c.appliedIndex),
                restore,
                drain(fetches),
                drain(notices));
    }

    private boolean canHandOutCommitted() {
        // Bound the apply stage's queue: at most two batches outstanding.
        return c.commitIndex > c.handedToApplyIndex
                && c.handedToApplyIndex - c.appliedIndex < 2L * c.config().maxApplyBatchEntries();
    }

    private static <T> List<T> drain(ArrayList<T> list) {
        if (list.isEmpty()) {
            return List.of();
        }
        List<T> copy = new ArrayList<>(list);
        list.clear();
        return copy;
    }
}
