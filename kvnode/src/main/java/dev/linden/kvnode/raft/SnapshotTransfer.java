package dev.linden.kvnode.raft;

import dev.linden.kvnode.raft.Message.AppendResponse;
import dev.linden.kvnode.raft.Message.InstallSnapshot;
import dev.linden.kvnode.raft.Message.SnapshotResponse;

/**
 * Snapshots (Raft §7). Taking one: the log before it is compacted, less what live followers still need.
 * Sending one, leader side: chunk by chunk, one in flight, for a follower that needs entries the leader
 * compacted. Receiving one, follower side: the rules for {@link InstallSnapshot}, and installing it. The
 * driver holds the bytes of a node's own snapshot; the core sees only its metadata.
 */
final class SnapshotTransfer {
    private final RaftCore c;

    SnapshotTransfer(RaftCore core) {
        this.c = core;
    }

    // ------------------------------------------------------------------ taking one

    /** Compaction after this node's own snapshot through {@code meta.index()} became durable. */
    void taken(SnapshotMeta meta) {
        Invariants.check(
                meta.index() <= c.appliedIndex,
                "snapshot at " + meta.index() + " beyond applied " + c.appliedIndex,
                c.id(),
                c.term,
                meta.index());
        if (meta.index() <= c.latestSnapshot.index()) {
            return; // a newer one was installed from the leader meanwhile
        }
        Invariants.check(
                meta.index() < c.log.firstIndex() || c.log.term(meta.index()) == meta.term(),
                "snapshot term differs from the log's",
                c.id(),
                c.term,
                meta.index());
        c.latestSnapshot = meta;
        c.local.snapshotDurable(meta.index());
        long compactTo = Math.min(meta.index() - c.config().snapshotTrailingEntries(), c.local.unwrittenFromIndex - 1);
        // Keep what live followers still need: a follower receiving a snapshot continues from its index,
        // one that is merely behind from its match point. (A follower that stays silent is not waited for:
        // it will get a snapshot.)
        if (c.leader != null) {
            for (Progress pr : c.leader.progress.values()) {
                if (pr.state == Progress.State.SNAPSHOT) {
                    compactTo = Math.min(compactTo, pr.snapshotIndex);
                } else if (pr.recentActive) {
                    compactTo = Math.min(compactTo, pr.matchIndex);
                }
            }
        }
        if (compactTo > c.log.compactedIndex()) {
            c.log.compactTo(compactTo);
        }
    }

    // ------------------------------------------------------------------ sending one (leader)

    /** The follower needs entries before our compacted index: switch it to receiving our latest snapshot. */
    void start(Progress pr) {
        Invariants.check(
                c.latestSnapshot.index() >= c.log.compactedIndex(),
                "log compacted past the latest snapshot",
                c.id(),
                c.term,
                pr.nextIndex - 1);
        pr.becomeSnapshot(c.latestSnapshot.index(), c.latestSnapshot.term(), c.latestSnapshot.sizeBytes());
        sendChunk(pr);
    }

    void sendChunk(Progress pr) {
        Invariants.check(
                pr.state == Progress.State.SNAPSHOT && pr.snapshotOffset <= pr.snapshotBytes,
                "chunk of a transfer in progress",
                c.id(),
                c.term,
                pr.snapshotOffset);
        int length = (int) Math.min(c.config().maxSnapshotChunkBytes(), pr.snapshotBytes - pr.snapshotOffset);
        c.send(new InstallSnapshot(
                c.id(),
                pr.nodeId,
                c.term,
                pr.snapshotIndex,
                pr.snapshotTerm,
                pr.snapshotBytes,
                pr.snapshotOffset,
                length,
                null));
        pr.chunkInFlight = true;
        pr.ticksWithoutProgress = 0;
    }

    void onSnapshotResponse(SnapshotResponse m) {
        Invariants.check(
                c.role == Role.LEADER && c.leader != null && m.term() == c.term,
                "snapshot response handled off the leader of its term",
                c.id(),
                c.term,
                m.snapshotIndex());
        Progress pr = c.leader.progress.get(m.from());
        if (pr == null) {
            return;
        }
        pr.recentActive = true;
        if (pr.state != Progress.State.SNAPSHOT || m.snapshotIndex() != pr.snapshotIndex) {
            return; // about an earlier transfer
        }
        pr.chunkInFlight = false;
        pr.ticksWithoutProgress = 0;
        pr.snapshotOffset = Math.max(0, Math.min(m.nextOffset(), pr.snapshotBytes));
        if (pr.snapshotOffset < pr.snapshotBytes) {
            c.leader.appendsPending = true;
        }
    }

    // ------------------------------------------------------------------ receiving one (follower)

    void onInstallSnapshot(InstallSnapshot m) {
        FollowerState f = c.follower;
        Invariants.check(
                c.role == Role.FOLLOWER && f != null && c.leaderId == m.from(),
                "snapshot from the leader of our term",
                c.id(),
                c.term,
                m.snapshotIndex());
        if (m.snapshotIndex() <= c.commitIndex) {
            // Everything in it is committed here already (and matches the leader's log). Say so, and ack
            // what is durable so the leader moves on to plain appends.
            f.verifiedIndex = Math.max(f.verifiedIndex, c.commitIndex);
            c.send(new SnapshotResponse(c.id(), m.from(), c.term, m.snapshotIndex(), m.totalBytes()));
            long ack = Math.min(c.local.durableIndex, f.verifiedIndex);
            f.lastAckSentIndex = Math.max(f.lastAckSentIndex, ack);
            c.send(AppendResponse.ack(c.id(), m.from(), c.term, ack));
            return;
        }
        boolean same = f.receiving != null
                && f.receiving.index() == m.snapshotIndex()
                && f.receiving.term() == m.snapshotTerm()
                && f.receiving.sizeBytes() == m.totalBytes();
        if (m.offset() == 0 && !same) {
            Invariants.require(
                    m.totalBytes() >= 0 && m.totalBytes() <= Snapshot.MAX_BYTES,
                    "snapshot of " + m.totalBytes() + " bytes from node " + m.from());
            f.startReceiving(new SnapshotMeta(m.snapshotIndex(), m.snapshotTerm(), m.totalBytes()));
            same = true;
        }
        if (!same || m.offset() != f.receivedBytes) {
            c.send(new SnapshotResponse(c.id(), m.from(), c.term, m.snapshotIndex(), same ? f.receivedBytes : 0));
            return;
        }
        Invariants.require(
                m.data() != null && m.data().length == m.length() && m.offset() + m.length() <= m.totalBytes(),
                "malformed snapshot chunk from node " + m.from());
        System.arraycopy(m.data(), 0, f.receivingBytes, (int) m.offset(), m.length());
        f.receivedBytes += m.length();
        c.send(new SnapshotResponse(c.id(), m.from(), c.term, m.snapshotIndex(), f.receivedBytes));
        if (f.receivedBytes == m.totalBytes()) {
            Snapshot snap = new Snapshot(f.receiving.index(), f.receiving.term(), f.receivingBytes);
            f.stopReceiving();
            install(snap, f);
        }
    }

    /** Replaces the log and the state machine's state with a snapshot from the leader (beyond our commit). */
    private void install(Snapshot snap, FollowerState f) {
        Invariants.check(
                snap.index() > c.commitIndex, "installing a snapshot at or below commit", c.id(), c.term, snap.index());
        f.verifiedIndex = Math.max(f.verifiedIndex, snap.index());
        if (c.log.term(snap.index()) == snap.term()) {
            // We hold that entry, hence (log matching) everything before it: just commit up to it.
            c.advanceCommit(snap.index());
            c.followerReplication.maybeAck();
            return;
        }
        long oldCommit = c.commitIndex;
        c.local.replaceWithSnapshot(snap, SnapshotPayload.membership(snap.data(), c.membership()), oldCommit);
        f.lastAckSentIndex = Math.min(f.lastAckSentIndex, oldCommit);
        c.commitIndex = snap.index();
        c.handedToApplyIndex = snap.index();
        c.latestSnapshot = SnapshotMeta.of(snap);
        c.snapshotToRestore = snap;
    }
}
