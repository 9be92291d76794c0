package dev.linden.kvnode.node;

import dev.linden.kvnode.raft.Entry;
import dev.linden.kvnode.raft.Membership;
import dev.linden.kvnode.raft.Snapshot;
import dev.linden.kvnode.raft.SnapshotMeta;
import dev.linden.kvnode.raft.SnapshotPayload;
import java.util.ArrayList;
import java.util.List;

/**
 * The apply stage of a node: applies committed entries to the state machine, restores it from a snapshot, and
 * snapshots it every {@code snapshotEveryEntries} (one at a time), reporting each back to the raft stage.
 * Everything here runs on the apply stage.
 */
final class ApplyLoop {
    /** What the apply stage reports to its node; each call is posted to the raft stage. */
    interface Raft {
        /** {@code batch} was applied with {@code results} (null for entries that are not commands). */
        void applied(List<Entry> batch, List<byte[]> results, long lastIndex);

        /** The node's own snapshot is durable. */
        void snapshotDurable(SnapshotMeta snapshot);

        NodeListener listener();
    }

    /**
     * Most bytes of results one hand-off from the apply stage to the raft stage holds (past one result). A
     * committed batch can hold hundreds of commands that each answer a mebibyte (a CAS mismatch or an
     * APPEND answers the current value); kept for the whole batch, their results alone outgrew a node's
     * heap, on every replica at the same index, followers included (they need no result at all).
     */
    static final long MAX_RESULT_BYTES_PER_HANDOFF = 8L << 20;

    private final int id;
    private final Membership bootstrap;
    private final long snapshotEveryEntries;
    private final StateMachine stateMachine;
    private final LogStore logStore;
    private final Stage raftStage;
    private final Stage applyStage;
    private final Raft raft;

    private long lastIndex;
    private long lastTerm;
    private long lastSnapshotIndex;
    private boolean snapshotInProgress;
    /** The configuration of the last applied configuration entry (or snapshot): what a snapshot records. */
    private Membership membership;

    ApplyLoop(
            int id,
            Membership bootstrap,
            long snapshotEveryEntries,
            StateMachine stateMachine,
            LogStore logStore,
            Stage raftStage,
            Stage applyStage,
            Raft raft) {
        this.id = id;
        this.bootstrap = bootstrap;
        this.membership = bootstrap;
        this.snapshotEveryEntries = snapshotEveryEntries;
        this.stateMachine = stateMachine;
        this.logStore = logStore;
        this.raftStage = raftStage;
        this.applyStage = applyStage;
        this.raft = raft;
    }

    void applyBatch(List<Entry> batch) {
        int from = 0;
        List<byte[]> results = new ArrayList<>();
        long resultBytes = 0;
        for (int i = 0; i < batch.size(); i++) {
            Entry e = batch.get(i);
            byte[] result = e.kind() == Entry.Kind.COMMAND ? stateMachine.apply(e.index(), e.command()) : null;
            if (e.kind() == Entry.Kind.CONFIG) {
                membership = Membership.decode(e.command());
            }
            results.add(result);
            resultBytes += result == null ? 0 : result.length;
            raft.listener().onApplied(id, e, result);
            lastIndex = e.index();
            lastTerm = e.term();
            if (resultBytes >= MAX_RESULT_BYTES_PER_HANDOFF || i == batch.size() - 1) {
                List<Entry> part = batch.subList(from, i + 1);
                raft.listener().onAppliedBatch(id, part);
                List<byte[]> partResults = results;
                long last = e.index();
                raftStage.execute(() -> raft.applied(part, partResults, last));
                from = i + 1;
                results = new ArrayList<>();
                resultBytes = 0;
            }
        }
        maybeSnapshot();
    }

    void restore(Snapshot snap) {
        stateMachine.restore(snap.index(), SnapshotPayload.state(snap.data()));
        membership = SnapshotPayload.membership(snap.data(), bootstrap);
        lastIndex = snap.index();
        lastTerm = snap.term();
        lastSnapshotIndex = snap.index();
        raft.listener().onSnapshotRestored(id, snap.index());
    }

    /**
     * Snapshots the state machine every {@code snapshotEveryEntries}, one at a time. Only a view of the state is
     * taken here; the log store encodes it on its snapshot stage while this stage goes on applying, and the view
     * is released back here once encoded.
     */
    private void maybeSnapshot() {
        if (snapshotInProgress || lastIndex - lastSnapshotIndex < snapshotEveryEntries) {
            return;
        }
        snapshotInProgress = true;
        lastSnapshotIndex = lastIndex;
        long index = lastIndex;
        Membership config = membership;
        StateMachine.SnapshotView view = stateMachine.snapshotView();
        raft.listener().onSnapshotTaken(id, index, lastTerm);
        logStore.saveSnapshot(
                index,
                lastTerm,
                () -> {
                    try {
                        return SnapshotPayload.frame(config, view::encode);
                    } finally {
                        applyStage.execute(view::release);
                    }
                },
                meta -> raftStage.execute(() -> {
                    raft.snapshotDurable(meta);
                    applyStage.execute(() -> {
                        snapshotInProgress = false;
                        maybeSnapshot(); // entries applied meanwhile may be due for the next one
                    });
                }),
                failure -> applyStage.execute(() -> snapshotInProgress = false));
    }
}
