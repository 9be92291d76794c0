package dev.linden.realenv;

import dev.linden.kvnode.net.Wire;
import dev.linden.workloads.HistoryOp;
import dev.linden.workloads.Workload;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Runs the {@link DiskAudit} at the end of a {@link LocalTestCluster} run: the nodes' last statuses taken,
 * every node stopped, then each data dir (under the cluster's temporary root, deleted only when the cluster
 * closes) read. Nodes whose data the nemesis damaged or wiped, or that refused it, are not judged.
 */
final class LocalDiskAudit {
    private LocalDiskAudit() {}

    static DiskAudit stopAndAudit(LocalTestCluster c, List<HistoryOp> history, Workload workload) {
        Map<Integer, Wire.StatusResponse> last = new TreeMap<>(c.status(true));
        long announced = c.maxAnnouncedCommit();
        long t0 = System.nanoTime();
        c.stopAll();
        long t1 = System.nanoTime();
        Map<Integer, Path> dirs = new TreeMap<>();
        Map<Integer, String> skip = new TreeMap<>();
        for (int id : c.membership.allIds()) {
            Path dir = c.dataDir(id);
            if (Files.isDirectory(dir)) {
                dirs.put(id, dir);
            }
            if (c.damaged.contains(id) || c.refused.contains(id)) {
                skip.put(id, "its data was damaged or wiped by the nemesis");
            }
        }
        DiskAudit audit = new DiskAudit(dirs, skip, new TreeSet<>(c.nodes()), last, announced, history, workload);
        audit.timed((t1 - t0) / 1_000_000, (System.nanoTime() - t1) / 1_000_000);
        return audit;
    }
}
