package dev.linden.sim;

import dev.linden.kvnode.wal.WalSegments;
import dev.linden.nemesis.FaultOps;
import dev.linden.nemesis.TailCut;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * The simulator's disk faults, each answering with what it observably did: a full disk (writes it
 * refused), fsync stalls (fsyncs it slowed), a flipped bit in a synced record (where, and whether the node
 * refused it at restart), and a disk replaced by an empty one (files lost, whether the node refused to
 * rejoin). The disk-damage faults ({@code lose-tail}, {@code lose-segments}, {@code restart-as-new}) kill a
 * node, destroy data it held durably, and start it again; they tell the durability monitor, which then
 * judges what the cluster does next rather than the loss itself.
 */
final class SimDiskFaults {
    private static final long MS = 1_000_000L;

    private final Simulation sim;
    /** The nemesis's own random source (shared, so the same seed makes the same draws). */
    private final SplittableRandom random;
    /** Per node, the disk's counters when the fault began (the evidence is the difference). */
    private final Map<Integer, Long> diskFullRefusedAtStart = new TreeMap<>();

    SimDiskFaults(Simulation sim, SplittableRandom random) {
        this.sim = sim;
        this.random = random;
    }

    /** A heal reset every disk: forget the faults' starting points. */
    void healed() {
        diskFullRefusedAtStart.clear();
        stalledAtStart.clear();
    }

    Object startDiskFull(List<Integer> targets) {
        for (int id : targets) {
            SimDisk d = sim.node(id).disk;
            d.full = true;
            d.readErrors = random.nextInt(3) == 0;
            diskFullRefusedAtStart.putIfAbsent(id, d.refusedWrites);
        }
        return FaultOps.effect("disks full", "nodes", targets);
    }

    Object stopDiskFull() {
        if (diskFullRefusedAtStart.isEmpty()) {
            return FaultOps.noEffect("no disk was full");
        }
        long refused = 0;
        List<Integer> nodes = new ArrayList<>(diskFullRefusedAtStart.keySet());
        for (Map.Entry<Integer, Long> e : diskFullRefusedAtStart.entrySet()) {
            SimDisk d = sim.node(e.getKey()).disk;
            d.full = false;
            d.readErrors = false;
            refused += d.refusedWrites - e.getValue();
        }
        diskFullRefusedAtStart.clear();
        return refused == 0
                ? FaultOps.noEffect("the nodes wrote nothing while their disks were full", "nodes", nodes)
                : FaultOps.effect("disks have space again", "nodes", nodes, "writes-refused", refused);
    }

    private final Map<Integer, Long> stalledAtStart = new TreeMap<>();

    Object startFsyncStall(List<Integer> targets, long stallMillis) {
        for (int id : targets) {
            SimDisk d = sim.node(id).disk;
            d.stallNanos = stallMillis * MS;
            stalledAtStart.putIfAbsent(id, d.stalledSyncs);
        }
        return FaultOps.effect("every fsync takes " + stallMillis + " ms more", "nodes", targets);
    }

    Object stopFsyncStall() {
        if (stalledAtStart.isEmpty()) {
            return FaultOps.noEffect("no fsync was stalled");
        }
        Map<String, Object> slowed = new LinkedHashMap<>();
        long total = 0;
        for (var e : stalledAtStart.entrySet()) {
            SimDisk d = sim.node(e.getKey()).disk;
            d.stallNanos = 0;
            long n = d.stalledSyncs - e.getValue();
            slowed.put(String.valueOf(e.getKey()), n);
            total += n;
        }
        stalledAtStart.clear();
        return total == 0
                ? FaultOps.noEffect("no fsync ran while stalled", "fsyncs-stalled", slowed)
                : FaultOps.effect("fsyncs fast again", "fsyncs-stalled", slowed);
    }

    Object bitflip(List<Integer> targets) {
        int id = targets.get(0);
        SimNode n = sim.node(id);
        String where = n.disk.flipBit();
        if (where == null) {
            return FaultOps.noEffect("node " + id + " has no synced record to corrupt yet");
        }
        sim.corrupted.add(id);
        // Restart the node so recovery meets the flipped bit.
        n.crash();
        n.start();
        return FaultOps.effect(
                "flipped a bit",
                "node",
                id,
                "where",
                where,
                "restarted",
                n.up,
                "refused",
                n.refusedReason == null ? "" : n.refusedReason);
    }

    Object wipeDisk(List<Integer> targets) {
        int id = targets.get(0);
        SimNode n = sim.node(id);
        n.crash();
        int files = n.disk.wipe();
        sim.durability().wiped(id);
        sim.wiped.add(id);
        sim.killedByNemesis.remove(id);
        n.start();
        return FaultOps.effect(
                "disk replaced by an empty one",
                "node",
                id,
                "files-lost",
                (long) files,
                "rejoined",
                n.up,
                "refused",
                n.refusedReason == null ? "" : n.refusedReason);
    }

    // ------------------------------------------------------------------ disk damage

    /**
     * Kills the node, cuts the last {@code k} records it had synced off its WAL's last segment (at a record
     * boundary or inside a record), and starts it as usual. Records written but not synced before the kill
     * go too (they were never acknowledged); the evidence counts them apart.
     */
    Object loseTail(int id, int k, boolean insideRecord) {
        SimNode n = sim.node(id);
        if (sim.permanentlyDown(n)) {
            return FaultOps.noEffect("node " + id + " is down for good", "node", id);
        }
        Map<String, Integer> syncedBytes = new TreeMap<>();
        for (String name : n.disk.fileNames()) {
            byte[] durable = WalSegments.isSegment(name) ? n.disk.durableBytes(name) : null;
            syncedBytes.put(name, durable == null ? 0 : durable.length);
        }
        boolean wasUp = n.up;
        n.crash();
        String last = lastSegment(n.disk);
        if (last == null) {
            return restartUndamaged(n, "node " + id + " has no WAL segment");
        }
        byte[] bytes = n.disk.bytesOf(last);
        List<WalSegments.RecordSpan> all = WalSegments.records(bytes);
        List<TailCut.Rec> synced = new ArrayList<>();
        for (WalSegments.RecordSpan r : all) {
            if (r.end() <= syncedBytes.getOrDefault(last, 0)) {
                synced.add(new TailCut.Rec(r.offset(), r.bytes(), r.index()));
            }
        }
        TailCut cut = TailCut.plan(synced, k, insideRecord, random);
        if (cut == null) {
            return restartUndamaged(n, "node " + id + "'s last segment " + last + " holds no synced record");
        }
        int dataEnd = all.get(all.size() - 1).end();
        // The file is cut, as an operator, a restore or a file system that rolled its size back would leave
        // it. (Bytes reverting to zeros inside a file that keeps its size is a disk lying about fsync: the
        // fsync-lies canary's class, which no log can tell from a clean end without a mark per write.)
        byte[] damaged = Arrays.copyOf(bytes, cut.cutAtByte());
        n.disk.replaceWhileDown(last, damaged);
        markDamaged(id);
        sim.events.walRecordsLost(id, 0, 0, "lose-tail cut " + cut.recordsLost() + " record(s) off " + last);
        n.start();
        Map<String, Object> e = FaultOps.effect(
                "cut the tail of a stopped node's WAL, then started it",
                "node",
                id,
                "was-running",
                wasUp,
                "file",
                last,
                "records-in-segment",
                (long) all.size());
        e.putAll(cut.evidence());
        e.put("unsynced-records-dropped", (long) (all.size() - synced.size()));
        e.put("bytes-removed", (long) (dataEnd - cut.cutAtByte()));
        e.put("how", "truncated");
        return restarted(e, n);
    }

    /** Kills the node, deletes every WAL segment (hard state, identity and snapshots kept), starts it as usual. */
    Object loseSegments(int id) {
        SimNode n = sim.node(id);
        if (sim.permanentlyDown(n)) {
            return FaultOps.noEffect("node " + id + " is down for good", "node", id);
        }
        boolean wasUp = n.up;
        n.crash();
        List<String> deleted = new ArrayList<>();
        List<String> kept = new ArrayList<>();
        long bytes = 0;
        long records = 0;
        long[] indexes = {Long.MAX_VALUE, 0};
        for (String name : n.disk.fileNames()) {
            if (!WalSegments.isSegment(name) && !WalSegments.isPreallocated(name)) {
                kept.add(name);
                continue;
            }
            records += countRecords(n.disk.bytesOf(name), indexes);
            bytes += n.disk.deleteWhileDown(name);
            deleted.add(name);
        }
        if (deleted.isEmpty()) {
            return restartUndamaged(n, "node " + id + " has no WAL segment");
        }
        markDamaged(id);
        sim.events.walRecordsLost(
                id, 0, 0, "lose-segments deleted " + deleted.size() + " segment(s), " + records + " record(s)");
        n.start();
        return restarted(
                FaultOps.effect(
                        "deleted every WAL segment of a stopped node, then started it",
                        "node",
                        id,
                        "was-running",
                        wasUp,
                        "files-deleted",
                        deleted,
                        "bytes-removed",
                        bytes,
                        "records-lost",
                        records,
                        "indexes-lost",
                        records == 0 ? "none" : indexes[0] + ".." + indexes[1],
                        "files-kept",
                        kept),
                n);
    }

    /**
     * Kills the node, empties its disk, and starts it with the bootstrap command (a new cluster, same id and
     * peers) rather than as an existing member: unlike {@code wipe-disk}, nothing makes it refuse.
     */
    Object restartAsNew(int id) {
        SimNode n = sim.node(id);
        if (sim.permanentlyDown(n)) {
            return FaultOps.noEffect("node " + id + " is down for good", "node", id);
        }
        boolean wasUp = n.up;
        n.crash();
        long records = 0;
        long[] indexes = {Long.MAX_VALUE, 0};
        for (String name : n.disk.fileNames()) {
            if (WalSegments.isSegment(name)) {
                records += countRecords(n.disk.bytesOf(name), indexes);
            }
        }
        int files = n.disk.wipe();
        markDamaged(id);
        n.bootstrapNextStart = true;
        n.start();
        return restarted(
                FaultOps.effect(
                        "emptied a stopped node's disk, then started it as a new cluster's member",
                        "node",
                        id,
                        "was-running",
                        wasUp,
                        "files-lost",
                        (long) files,
                        "records-lost",
                        records,
                        "indexes-lost",
                        records == 0 ? "none" : indexes[0] + ".." + indexes[1],
                        "initial-cluster-state",
                        "new"),
                n);
    }

    /** The segment replayed last (the highest sequence number), or null. */
    private static String lastSegment(SimDisk disk) {
        String last = null;
        for (String name : disk.fileNames()) {
            if (WalSegments.isSegment(name) && (last == null || WalSegments.seqOf(name) > WalSegments.seqOf(last))) {
                last = name;
            }
        }
        return last;
    }

    /** Counts a segment's records, widening {@code indexes} ({min, max}) to theirs. */
    private static long countRecords(byte[] segment, long[] indexes) {
        List<WalSegments.RecordSpan> rs = segment == null ? List.of() : WalSegments.records(segment);
        for (WalSegments.RecordSpan r : rs) {
            indexes[0] = Math.min(indexes[0], r.index());
            indexes[1] = Math.max(indexes[1], r.index());
        }
        return rs.size();
    }

    private void markDamaged(int id) {
        sim.durability().damaged(id);
        sim.damaged.add(id);
        sim.killedByNemesis.remove(id);
    }

    /** Nothing to damage: the node, killed for the fault, is started again as it was. */
    private Object restartUndamaged(SimNode n, String why) {
        sim.killedByNemesis.remove(n.id);
        n.start();
        return FaultOps.noEffect(why + "; restarted it undamaged", "node", n.id, "restarted", n.up);
    }

    private static Object restarted(Map<String, Object> evidence, SimNode n) {
        evidence.put("restarted", n.up);
        evidence.put("refused", n.refusedReason == null ? "" : n.refusedReason);
        return evidence;
    }
}
