package dev.linden.realenv;

import dev.linden.kvnode.events.EventFiles;
import dev.linden.kvnode.wal.WalSegments;
import dev.linden.nemesis.FaultOps;
import dev.linden.nemesis.TailCut;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The disk-damage faults on real node processes: each kills a node (SIGKILL), destroys data in its data dir
 * and starts it again, answering with what it destroyed. {@code lose-tail} cuts the last k records off
 * the last WAL segment; {@code lose-segments} deletes every segment (hard state, identity, snapshots kept);
 * both restart with {@code --initial-cluster-state existing}, as any restart. {@code restart-as-new}
 * empties the dir and starts the node with {@code new}, the bootstrap command.
 *
 * <p>A SIGKILL keeps what the process had written (the page cache survives it), so the records in the
 * file are those it wrote, synced or not: all of them count as acknowledged here, which can over-count
 * by the last group commit's records at most.
 */
final class LocalDiskDamage {
    private final LocalTestCluster c;

    LocalDiskDamage(LocalTestCluster c) {
        this.c = c;
    }

    Object loseTail(int id, int k, boolean insideRecord) throws IOException {
        boolean wasRunning = c.kill(id) > 0;
        Path last = null;
        for (Path p : segments(id)) {
            String name = p.getFileName().toString();
            if (WalSegments.isSegment(name)
                    && (last == null
                            || WalSegments.seqOf(name)
                                    > WalSegments.seqOf(last.getFileName().toString()))) {
                last = p;
            }
        }
        if (last == null) {
            return restartUndamaged(id, "node " + id + " has no WAL segment");
        }
        byte[] bytes = Files.readAllBytes(last);
        List<WalSegments.RecordSpan> all = WalSegments.records(bytes);
        List<TailCut.Rec> written = new ArrayList<>();
        for (WalSegments.RecordSpan r : all) {
            written.add(new TailCut.Rec(r.offset(), r.bytes(), r.index()));
        }
        TailCut cut = TailCut.plan(written, k, insideRecord, c.random);
        if (cut == null) {
            return restartUndamaged(id, "node " + id + "'s last segment " + last.getFileName() + " holds no record");
        }
        int dataEnd = all.get(all.size() - 1).end();
        // The file is cut, as an operator, a restore or a file system that rolled its size back would leave it
        // (bytes reverting to zeros in a file that keeps its size is a disk lying about fsync, another class).
        try (RandomAccessFile f = new RandomAccessFile(last.toFile(), "rw")) {
            f.setLength(cut.cutAtByte());
            f.getFD().sync();
        }
        Map<String, Object> e = FaultOps.effect(
                "cut the tail of a stopped node's WAL, then started it",
                "node",
                id,
                "was-running",
                wasRunning,
                "file",
                "wal/" + last.getFileName(),
                "records-in-segment",
                (long) all.size());
        e.putAll(cut.evidence());
        e.put("bytes-removed", (long) (dataEnd - cut.cutAtByte()));
        e.put("how", "truncated");
        noteLogLoss(id, "lose-tail cut " + cut.recordsLost() + " record(s) off " + last.getFileName());
        return restart(id, false, e);
    }

    Object loseSegments(int id) throws IOException {
        boolean wasRunning = c.kill(id) > 0;
        List<String> deleted = new ArrayList<>();
        long bytes = 0;
        long records = 0;
        long[] indexes = {Long.MAX_VALUE, 0};
        for (Path p : segments(id)) {
            records += countRecords(p, indexes);
            bytes += Files.size(p);
            Files.delete(p);
            deleted.add(p.getFileName().toString());
        }
        if (deleted.isEmpty()) {
            return restartUndamaged(id, "node " + id + " has no WAL segment");
        }
        syncDirectory(c.dataDir(id).resolve("wal"));
        noteLogLoss(id, "lose-segments deleted " + deleted.size() + " segment(s), " + records + " record(s)");
        List<String> kept = new ArrayList<>();
        try (Stream<Path> ls = Files.list(c.dataDir(id).resolve("wal"))) {
            ls.map(p -> p.getFileName().toString()).sorted().forEach(kept::add);
        }
        return restart(
                id,
                false,
                FaultOps.effect(
                        "deleted every WAL segment of a stopped node, then started it",
                        "node",
                        id,
                        "was-running",
                        wasRunning,
                        "files-deleted",
                        deleted,
                        "bytes-removed",
                        bytes,
                        "records-lost",
                        records,
                        "indexes-lost",
                        range(records, indexes),
                        "files-kept",
                        kept));
    }

    Object restartAsNew(int id) throws IOException {
        boolean wasRunning = c.kill(id) > 0;
        long records = 0;
        long[] indexes = {Long.MAX_VALUE, 0};
        for (Path p : segments(id)) {
            if (WalSegments.isSegment(p.getFileName().toString())) {
                records += countRecords(p, indexes);
            }
        }
        long files = emptyDataDir(c.dataDir(id));
        return restart(
                id,
                true,
                FaultOps.effect(
                        "emptied a stopped node's data dir, then started it as a new " + "cluster's member",
                        "node",
                        id,
                        "was-running",
                        wasRunning,
                        "files-lost",
                        files,
                        "records-lost",
                        records,
                        "indexes-lost",
                        range(records, indexes),
                        "initial-cluster-state",
                        "new"));
    }

    /**
     * Deletes everything in a node's data dir but its logs (kept for the run's report); returns the count of
     * files and directories deleted.
     */
    static long emptyDataDir(Path dir) throws IOException {
        long files = 0;
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                String name = p.getFileName().toString();
                // The logs and the event stream are the run's evidence, not the node's disk.
                if (!p.equals(dir) && !name.equals("stdout.log") && !name.equals("node.log") && !isEventFile(name)) {
                    Files.delete(p);
                    files++;
                }
            }
        }
        return files;
    }

    private static boolean isEventFile(String name) {
        return name.equals(EventFiles.FILE_NAME) || name.equals(EventFiles.ROTATED_FILE_NAME);
    }

    /** The node's WAL segment files, prepared ones included, in name order. */
    private List<Path> segments(int id) throws IOException {
        Path wal = c.dataDir(id).resolve("wal");
        if (!Files.isDirectory(wal)) {
            return List.of();
        }
        try (Stream<Path> ls = Files.list(wal)) {
            return ls.filter(p -> WalSegments.isSegment(p.getFileName().toString())
                            || WalSegments.isPreallocated(p.getFileName().toString()))
                    .sorted()
                    .toList();
        }
    }

    private static long countRecords(Path segment, long[] indexes) throws IOException {
        List<WalSegments.RecordSpan> rs = WalSegments.records(Files.readAllBytes(segment));
        for (WalSegments.RecordSpan r : rs) {
            indexes[0] = Math.min(indexes[0], r.index());
            indexes[1] = Math.max(indexes[1], r.index());
        }
        return rs.size();
    }

    private static String range(long records, long[] indexes) {
        return records == 0 ? "none" : indexes[0] + ".." + indexes[1];
    }

    /** Makes the deletions durable, as the node itself would (a directory is opened read-only and forced). */
    private static void syncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    /** Marks the node damaged (a refusal to start is then expected) and starts it; the evidence says with what. */
    private Object restart(int id, boolean asNew, Map<String, Object> evidence) throws IOException {
        c.damaged.add(id);
        relaunch(id, asNew);
        evidence.put("pid", c.processes.get(id).pid());
        return evidence;
    }

    /** The node, down, lost WAL records: the start it is about to make must report lost log. */
    private void noteLogLoss(int id, String what) {
        c.logLosses.add(NodeEventCheck.LogLoss.after(id, c.dataDir(id), what));
    }

    private Object restartUndamaged(int id, String why) throws IOException {
        relaunch(id, false);
        return FaultOps.noEffect(why + "; restarted it undamaged", "node", id);
    }

    /**
     * Starts the killed node again. The new process is registered before the node stops counting as killed
     * by the nemesis: the killed process's exit is reported on another thread, maybe only now, and must find
     * it either still counted as killed or replaced, never taken for an exit of its own.
     */
    private void relaunch(int id, boolean asNew) throws IOException {
        c.launch(id, asNew);
        c.killedByNemesis.remove(id);
    }
}
