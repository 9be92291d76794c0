package dev.linden.kvnode.wal;

import dev.linden.kvnode.raft.Entry;
import dev.linden.kvnode.raft.HardState;
import dev.linden.kvnode.raft.Snapshot;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * What a stopped node's WAL directory holds, read for an audit after a run: the hard state, every
 * complete snapshot file, and the log as recovery would see it (the segments replayed in order by
 * {@link SegmentReplay}, a follower's truncations applied, the entries the newest snapshot covers left
 * out as recovery leaves them out), with the segment each entry was read from. Unlike {@link WalRecovery}
 * it never repairs: it reads through a {@link ReadOnlyVfs}, leaves a torn tail and unfinished files where
 * they are (and says so), and where recovery would refuse to start it records the reason as a problem
 * and keeps what it read before it.
 */
public final class WalInspection {
    /** A complete snapshot file and what it holds. */
    public record SnapshotSeen(String file, Snapshot snapshot) {}

    /**
     * @param hardState  the hard state, or null if the file is unreadable (see problems)
     * @param snapshots  every complete snapshot file, oldest first
     * @param base       the index just before {@code entries}' first (the newest snapshot's, or 0)
     * @param entries    the log recovery would load, contiguous after {@code base}
     * @param tornTail   the torn write at the end of the last segment recovery would zero, or null
     * @param lostData   log lost at the end as recovery would record it ({@link LostData}), or null
     * @param problems   what recovery would refuse to start on (a corrupted record, hard state or snapshot)
     */
    public record Contents(
            HardState hardState,
            List<SnapshotSeen> snapshots,
            long base,
            List<Entry> entries,
            NavigableMap<Long, String> segmentByFirstIndex,
            String tornTail,
            String lostData,
            List<String> problems) {
        public long lastIndex() {
            return base + entries.size();
        }

        /** The entry at {@code index}, or null if the log does not hold it (compacted, or beyond its end). */
        public Entry entry(long index) {
            return index <= base || index > lastIndex() ? null : entries.get((int) (index - base - 1));
        }

        /** The segment file the entry at {@code index} was read from, or null. */
        public String fileOf(long index) {
            var e = segmentByFirstIndex.floorEntry(index);
            return e == null || entry(index) == null ? null : e.getValue();
        }

        /** The newest snapshot's index, or 0. */
        public long snapshotIndex() {
            return snapshots.isEmpty()
                    ? 0
                    : snapshots.get(snapshots.size() - 1).snapshot().index();
        }
    }

    private WalInspection() {}

    /** Reads the WAL directory {@code walDir} (a node's {@code data-dir/wal}); writes nothing. */
    public static Contents read(Path walDir) {
        Vfs vfs = new ReadOnlyVfs(walDir);
        List<String> problems = new ArrayList<>();
        HardState hs = null;
        try {
            hs = HardStateFile.load(vfs);
        } catch (IOException e) {
            problems.add(HardStateFile.NAME + ": " + e.getMessage());
        }
        TreeMap<Long, String> segmentFiles = new TreeMap<>();
        List<SnapshotSeen> snapshots = new ArrayList<>();
        long markedSeq = 0;
        try {
            markedSeq = WalMarkFile.load(vfs);
            listFiles(vfs, segmentFiles, snapshots, problems);
        } catch (IOException e) {
            problems.add(walDir + ": " + e.getMessage());
        }
        SegmentReplay.Replay log = new SegmentReplay.Replay();
        TreeMap<Long, String> byFirstIndex = new TreeMap<>();
        long validEnd = replay(vfs, segmentFiles, log, byFirstIndex, problems);
        String torn = tornTail(segmentFiles, validEnd, log);
        Snapshot newest =
                snapshots.isEmpty() ? null : snapshots.get(snapshots.size() - 1).snapshot();
        String lost = problems.isEmpty() ? LostData.find(markedSeq, segmentFiles, validEnd, log, newest) : null;
        long base = Math.max(log.base, 0);
        List<Entry> entries = log.entries;
        if (newest != null) {
            try {
                entries = SegmentReplay.afterSnapshot(newest, log);
            } catch (IOException e) {
                problems.add(e.getMessage());
                entries = List.of();
            }
            base = newest.index();
        } else if (base != 0 && !entries.isEmpty()) {
            problems.add("the log starts at index " + (base + 1) + " with no snapshot");
        }
        return new Contents(
                hs,
                List.copyOf(snapshots),
                base,
                List.copyOf(entries),
                Collections.unmodifiableNavigableMap(byFirstIndex),
                torn,
                lost,
                List.copyOf(problems));
    }

    private static void listFiles(
            Vfs vfs, TreeMap<Long, String> segmentFiles, List<SnapshotSeen> snapshots, List<String> problems)
            throws IOException {
        TreeMap<Long, String> snapshotFiles = new TreeMap<>();
        for (String name : vfs.list()) {
            if (SegmentFile.seqOf(name) >= 0) {
                segmentFiles.put(SegmentFile.seqOf(name), name);
            } else if (SnapshotFile.indexOf(name) >= 0) {
                snapshotFiles.put(SnapshotFile.indexOf(name), name);
            }
        }
        for (String name : snapshotFiles.values()) {
            try {
                snapshots.add(new SnapshotSeen(name, SnapshotFile.read(vfs, name)));
            } catch (IOException e) {
                problems.add(e.getMessage());
            }
        }
    }

    /** Replays the segments in order, as recovery does; returns where valid data in the last one ends. */
    private static long replay(
            Vfs vfs,
            TreeMap<Long, String> segmentFiles,
            SegmentReplay.Replay log,
            TreeMap<Long, String> byFirstIndex,
            List<String> problems) {
        long validEnd = 0;
        for (var it = segmentFiles.entrySet().iterator(); it.hasNext(); ) {
            var seg = it.next();
            log.segmentMinIndex = 0;
            log.segmentMaxIndex = 0;
            try {
                validEnd = SegmentReplay.replaySegment(vfs, seg.getValue(), !it.hasNext(), log);
            } catch (IOException e) {
                problems.add(e.getMessage());
                return validEnd;
            }
            if (log.segmentMinIndex > 0) {
                // Entries from here on were (re)written in this segment; earlier segments' later ones are gone.
                byFirstIndex.tailMap(log.segmentMinIndex, true).clear();
                byFirstIndex.put(log.segmentMinIndex, seg.getValue());
            }
        }
        return validEnd;
    }

    private static String tornTail(TreeMap<Long, String> segmentFiles, long validEnd, SegmentReplay.Replay log) {
        if (segmentFiles.isEmpty() || validEnd < 0) {
            return null;
        }
        long end = log.allocatedBytes == 0 ? log.fileBytes : Math.min(log.dataEnd, log.fileBytes);
        return end > validEnd
                ? segmentFiles.lastEntry().getValue() + " bytes " + validEnd + ".." + end
                        + " (a write in flight at a crash, never acknowledged; left in place)"
                : null;
    }
}
