package dev.linden.realenv;

import dev.linden.kvnode.server.NodeCommand;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What a node process's exit means in a {@link LocalTestCluster}: the nemesis's kill or removal (nothing), a
 * damaged data dir refused (as it must), a full disk (started again once it has room), a port taken while it was
 * down (started again, on the same port), or else a failure of the run, which the {@code cluster} check reports.
 */
final class LocalExits {
    /** Starts again of a node refused because its port was taken while it was down, per node. */
    static final int MAX_PORT_RETRIES = 5;

    private final LocalTestCluster c;
    private final Map<Integer, Integer> portRetries = new ConcurrentHashMap<>();

    LocalExits(LocalTestCluster c) {
        this.c = c;
    }

    void exited(int id, Process p) {
        if (c.closing || c.processes.get(id) != p) {
            return;
        }
        int code = p.exitValue();
        // A process the nemesis killed: its exit may be reported only once a start has taken its id off the
        // killed (slow under load), so the process itself is remembered.
        if (c.killedByNemesis.contains(id) || c.killedProcesses.contains(p.pid()) || c.membership.removed(id)) {
            return;
        }
        if (code == 2 && c.damaged.contains(id)) {
            c.refused.add(id); // refused its corrupted or wiped data dir, as it must
            return;
        }
        if (code == 2
                && c.lastLines(id, 3).contains("Address already in use")
                && portRetries.merge(id, 1, Integer::sum) <= MAX_PORT_RETRIES) {
            // Its port was taken while it was down, by a connection of another process (runs share this machine's
            // ports): not the node's doing. It starts again in a second, on the same port.
            c.scheduler.schedule(1_000_000_000L, () -> relaunchIfStillDown(id, p));
            return;
        }
        synchronized (c.disks.lock) {
            if (code == 2 && c.disks.full.contains(id)) {
                // Started on a disk that is still full (a race of a start with the fault): it refused, as it must,
                // and starts once the disk has room.
                c.disks.diedOfFull.add(id);
                return;
            }
            if (code == NodeCommand.EXIT_STORAGE_FAILED && c.disks.fullSinceLaunch.contains(id)) {
                // Stopped on a storage failure rather than lose writes; restarted once the disk has room.
                if (c.disks.full.contains(id)) {
                    c.disks.diedOfFull.add(id);
                } else {
                    relaunchAfterFullDisk(id);
                }
                return;
            }
        }
        c.unexpectedExits.add("node " + id + " (pid " + p.pid() + ") exited by itself with code " + code
                + "; last log: " + c.lastLines(id, 5));
    }

    /** Starts a node refused for a taken port, unless another start or the end of the run came first. */
    private void relaunchIfStillDown(int id, Process refusedOne) {
        if (c.closing || c.processes.get(id) != refusedOne) {
            return;
        }
        try {
            c.launch(id);
        } catch (IOException e) {
            c.unexpectedExits.add("node " + id + " found its port taken and could not be restarted: " + e.getMessage());
        }
    }

    private void relaunchAfterFullDisk(int id) {
        try {
            c.launch(id);
        } catch (IOException e) {
            c.unexpectedExits.add(
                    "node " + id + " stopped on a full disk and could not be restarted: " + e.getMessage());
        }
    }
}
