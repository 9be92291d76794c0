package dev.linden.sim;

import dev.linden.nemesis.FaultOps;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * The simulator's disk faults, each answering with what it observably did: a full disk (writes it
 * refused), fsync stalls (fsyncs it slowed), a flipped bit in a synced record (where, and whether the node
 * refused it at restart), and a disk replaced by an empty one (files lost, whether the node refused to
 * rejoin).
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
        return refused == 0 ? FaultOps.noEffect("the nodes wrote nothing while their disks were full", "nodes", nodes)
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
        return total == 0 ? FaultOps.noEffect("no fsync ran while stalled", "fsyncs-stalled", slowed)
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
        return FaultOps.effect("flipped a bit", "node", id, "where", where, "restarted", n.up,
                "refused", n.refusedReason == null ? "" : n.refusedReason);
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
        return FaultOps.effect("disk replaced by an empty one", "node", id, "files-lost", (long) files,
                "rejoined", n.up, "refused", n.refusedReason == null ? "" : n.refusedReason);
    }
}
