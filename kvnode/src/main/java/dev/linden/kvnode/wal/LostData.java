package dev.linden.kvnode.wal;

import dev.linden.kvnode.raft.HardState;
import dev.linden.kvnode.raft.RaftCore;
import dev.linden.kvnode.raft.Snapshot;
import java.io.IOException;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Recovery's judgement of whether log that may have been acknowledged is gone, as opposed to a crash's
 * torn last write (never acknowledged, fine to drop). Segments are sized when created and the
 * {@link WalMarkFile mark} names the newest one started, so three kinds of damage are told apart from a
 * clean end:
 * <ul>
 *   <li>the last segment shorter than its header declares, once the mark named it: its tail was cut, at a
 *       record boundary or inside a record, however little (a torn write never shrinks a file);</li>
 *   <li>segments missing at the end (or all of them): the mark names a newer one;</li>
 *   <li>the newest segment without its header although the mark names it: it was cut to nothing.</li>
 * </ul>
 * Any of them is data loss: the node must not vote or campaign with the log it has left (see
 * {@code raft/LostLog}). A segment cut in the middle of the log leaves a gap no leader can fill by
 * appending, so it is refused with the steps to recover.
 */
final class LostData {
    private LostData() {}

    /** Describes the loss at the end of the log, or returns null if what recovery found is a clean end. */
    static String find(
            long markedSeq,
            TreeMap<Long, String> segments,
            long validEnd,
            SegmentReplay.Replay log,
            Snapshot snapshot) {
        long lastIndex =
                log.entries.isEmpty() ? (snapshot == null ? 0 : snapshot.index()) : log.base + log.entries.size();
        long newest = segments.isEmpty() ? 0 : segments.lastKey();
        if (markedSeq > 0 && newest < markedSeq) {
            return "reason=segments-missing segments=" + SegmentFile.name(newest + 1) + ".."
                    + SegmentFile.name(markedSeq)
                    + " (the wal-mark says segment " + markedSeq + " was started, " + segments.size()
                    + " segment files found) log-now-ends-at=" + lastIndex;
        }
        if (validEnd < 0 && markedSeq > 0 && newest <= markedSeq) {
            return "reason=segment-cut segment=" + SegmentFile.name(newest) + " bytes=" + log.fileBytes
                    + " (its header was durable before the wal-mark named it) log-now-ends-at=" + lastIndex;
        }
        // A segment newer than the mark was being created at a crash: it never held an acknowledged record.
        if (validEnd >= 0 && log.allocatedBytes > 0 && log.fileBytes < log.allocatedBytes && newest <= markedSeq) {
            boolean boundary = log.dataEnd <= validEnd;
            return "reason=segment-cut segment=" + SegmentFile.name(newest) + " bytes=" + log.fileBytes + " declared="
                    + log.allocatedBytes + " cut=" + (boundary ? "at-a-record-boundary" : "inside-a-record")
                    + " log-now-ends-at=" + lastIndex;
        }
        return null;
    }

    /**
     * Records the loss before the evidence is repaired away: from now on the node neither votes nor campaigns
     * until its log holds an entry of a term later than any it may have acknowledged in. The term moves past
     * that one, so a leader of it (which may count acknowledgements this node no longer backs) steps down at
     * this node's first answer and a new term repairs it. Returns the hard state now durable.
     */
    static HardState record(Vfs vfs, HardState hs, String lost, Consumer<String> events) throws IOException {
        HardState now = hs;
        if (hs.term() > 0) {
            now = new HardState(hs.term() + 1, RaftCore.NO_NODE, Math.max(hs.lostThroughTerm(), hs.term()));
            HardStateFile.save(vfs, now);
        }
        events.accept("event=wal-data-loss " + lost + "; lost-through-term=" + now.lostThroughTerm() + " term-now="
                + now.term() + " action=abstaining from elections until a leader of a later term repairs the log");
        return now;
    }

    /** A segment before the last one was cut: entries are missing from the middle of the log. */
    static void refuseCutInTheMiddle(String name, SegmentReplay.Replay log) throws IOException {
        if (log.allocatedBytes > 0 && log.fileBytes < log.allocatedBytes) {
            throw new IOException("WAL corrupted: segment " + name + " is " + log.fileBytes + " bytes but was created "
                    + "with " + log.allocatedBytes + ", and later segments follow it: entries are missing from the "
                    + "middle of the log. Refusing to start. Recovery: "
                    + "remove this node from the cluster (./linden cluster remove --node ID) and add a new node "
                    + "with an unused id (./linden cluster add); it catches up from the leader");
        }
    }
}
