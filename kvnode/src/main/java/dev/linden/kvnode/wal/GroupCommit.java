package dev.linden.kvnode.wal;

import dev.linden.kvnode.node.Stage;
import dev.linden.kvnode.raft.Invariants;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.function.Consumer;

/**
 * The WAL's write/sync pipeline (writer stage): writes already in the segment wait here, in order, for an
 * fsync that covers them. At most one fsync is in flight; one that ends starts the next if writes arrived
 * meanwhile. A failed write or fsync fails every waiting write, and every later one until the WAL is
 * reopened, so no write is ever acknowledged past one that was lost. The order of sequence numbers is
 * checked always ({@link Invariants}).
 */
final class GroupCommit {
    private final Stage writerStage;
    private final SegmentChain segments;
    private final int maxPendingWrites;

    private long writtenSeq;
    private long syncedSeq;
    private boolean syncInFlight;
    private IOException failure;
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();

    private record Pending(long seq, Runnable onDurable, Consumer<Throwable> onFailure) {}

    GroupCommit(Stage writerStage, SegmentChain segments, int maxPendingWrites) {
        this.writerStage = writerStage;
        this.segments = segments;
        this.maxPendingWrites = maxPendingWrites;
    }

    /**
     * Whether a new write must be refused at once (a failure before it, or too many waiting), and if so
     * tells {@code onFailure}.
     */
    boolean refuses(Consumer<Throwable> onFailure) {
        if (failure != null) {
            onFailure.accept(failure);
            return true;
        }
        if (pending.size() >= maxPendingWrites) {
            onFailure.accept(new IOException("WAL has " + pending.size() + " writes pending (limit)"));
            return true;
        }
        return false;
    }

    /**
     * A write could not go into the file: it fails, and so does everything waiting. What of it reached the file
     * is a torn tail, never acknowledged, that recovery drops; what was durable stays durable. Later writes
     * must not skip over this one, so the log refuses everything until it is reopened.
     */
    void failed(IOException e, Consumer<Throwable> onFailure) {
        failure = e;
        onFailure.accept(e);
        failPending(e);
    }

    /** A write is in the file: it waits for the fsync that covers it, behind every earlier one. */
    void written(Runnable onDurable, Consumer<Throwable> onFailure) {
        writtenSeq++;
        Invariants.check(
                pending.isEmpty() || pending.peekLast().seq() == writtenSeq - 1,
                "WAL pending writes out of order: last "
                        + (pending.isEmpty() ? 0 : pending.peekLast().seq()) + ", new " + writtenSeq);
        Invariants.check(
                syncedSeq < writtenSeq, "WAL synced seq " + syncedSeq + " not below written seq " + writtenSeq);
        pending.addLast(new Pending(writtenSeq, onDurable, onFailure));
        maybeSync();
    }

    private void maybeSync() {
        if (syncInFlight || syncedSeq >= writtenSeq || failure != null) {
            return;
        }
        long target = writtenSeq;
        syncInFlight = true;
        segments.current()
                .sync(
                        () -> writerStage.execute(() -> onSynced(target)),
                        e -> writerStage.execute(() -> {
                            syncInFlight = false;
                            failure = e;
                            failPending(e);
                        }));
    }

    private void onSynced(long target) {
        Invariants.check(syncInFlight, "WAL fsync of seq " + target + " completed with none in flight");
        Invariants.check(
                syncedSeq <= target && target <= writtenSeq,
                "WAL fsync covered seq " + target + ", outside synced " + syncedSeq + " .. written " + writtenSeq);
        syncInFlight = false;
        syncedSeq = target;
        while (!pending.isEmpty() && pending.peekFirst().seq() <= syncedSeq) {
            pending.pollFirst().onDurable().run();
        }
        segments.closeRetired();
        maybeSync();
    }

    private void failPending(IOException e) {
        while (!pending.isEmpty()) {
            pending.pollFirst().onFailure().accept(e);
        }
    }
}
