package dev.linden.realenv;

import dev.linden.checker.history.OpType;
import dev.linden.kvnode.net.Wire;
import dev.linden.workloads.HistoryOp;
import dev.linden.workloads.Workload;
import dev.linden.workloads.check.CheckOutcome;
import dev.linden.workloads.check.Validity;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * Runs the {@link DiskAudit} at the end of a {@link LocalTestCluster} run: the nodes' last statuses taken,
 * every node stopped, then each data dir (under the cluster's temporary root, deleted only when the cluster
 * closes) read. Nodes whose data the nemesis damaged or wiped, or that refused it, are not judged. A fault of
 * the audit's own is not the cluster's: the disks check is then unknown, and nothing is resolved.
 */
final class LocalDiskAudit {
    private final DiskAudit audit;
    private final CheckOutcome failed;

    private LocalDiskAudit(DiskAudit audit, CheckOutcome failed) {
        this.audit = audit;
        this.failed = failed;
    }

    static LocalDiskAudit stopAndAudit(LocalTestCluster c, List<HistoryOp> history, Workload workload) {
        try {
            Map<Integer, Wire.StatusResponse> last = new TreeMap<>(c.status(true));
            long announced = c.maxAnnouncedCommit();
            long t0 = System.nanoTime();
            stopAll(c);
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
            dirs.forEach((id, dir) -> audit.nodeLog(id, logLines(dir.resolve("node.log"))));
            audit.timed((t1 - t0) / 1_000_000, (System.nanoTime() - t1) / 1_000_000);
            return new LocalDiskAudit(audit, null);
        } catch (RuntimeException e) {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("why", "the disk audit failed: " + e);
            return new LocalDiskAudit(null, new CheckOutcome(DiskAudit.CHECK, Validity.UNKNOWN, d));
        }
    }

    private static List<String> logLines(Path log) {
        try {
            return Files.isRegularFile(log) ? Files.readAllLines(log) : List.of();
        } catch (IOException e) {
            return List.of("the log could not be read: " + e.getMessage());
        }
    }

    /**
     * Stops every node (resumed first if paused; SIGTERM, then SIGKILL after 10 s); their exits are expected.
     * The data dirs stay until the cluster closes.
     */
    private static void stopAll(LocalTestCluster c) {
        c.expectExits();
        for (Process p : c.processes.values()) {
            if (!p.isAlive()) {
                continue;
            }
            c.resume(p);
            p.destroy();
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    p.waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        c.paused.clear();
    }

    CheckOutcome outcome() {
        return audit != null ? audit.outcome() : failed;
    }

    Map<Integer, OpType> resolveInfo(List<HistoryOp> history) {
        return audit != null ? audit.resolveInfo(history) : null;
    }
}
