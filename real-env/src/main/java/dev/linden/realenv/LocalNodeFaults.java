package dev.linden.realenv;

import dev.linden.kvnode.wal.NioVfs;
import dev.linden.nemesis.Fault;
import dev.linden.nemesis.FaultOps;
import dev.linden.workloads.check.Checks;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The faults of {@link LocalTestCluster}'s node processes, clocks and disks: signals (SIGKILL, SIGSTOP/SIGCONT,
 * or the container engine's), libfaketime control files, a filled tmpfs, a bit flipped in a stopped node's WAL
 * and a wiped data dir; each answered with what it did.
 */
final class LocalNodeFaults {
    private final LocalTestCluster c;
    private final Set<Integer> clockFaulted = new TreeSet<>();

    LocalNodeFaults(LocalTestCluster c) {
        this.c = c;
    }

    Object kill(List<Integer> targets) {
        List<Integer> killed = new ArrayList<>();
        List<Long> pids = new ArrayList<>();
        for (int id : targets) {
            long pid = c.kill(id);
            if (pid > 0) {
                killed.add(id);
                pids.add(pid);
            }
        }
        return killed.isEmpty()
                ? FaultOps.noEffect("every target was already down")
                : FaultOps.effect(
                        c.options.containers() ? "killed by the engine (SIGKILL)" : "killed with SIGKILL",
                        "nodes",
                        killed,
                        "pids",
                        pids);
    }

    /** How long a node armed to die in its next fsync is given to begin one before it is killed outright. */
    static final long CRASH_IN_FSYNC_WAIT_MILLIS = 2_000;

    /**
     * The targets lose power in their next fsync ({@link #cutInFsync}): nodes that hold their
     * writes until synced only; a target that syncs nothing within the wait is killed with SIGKILL.
     */
    Object crashInFsync(List<Integer> targets) throws IOException {
        List<Integer> alive = targets.stream().filter(c::alive).toList();
        List<Integer> inFsync = cutInFsync(alive, CRASH_IN_FSYNC_WAIT_MILLIS);
        List<Integer> killed =
                alive.stream().filter(id -> !inFsync.contains(id)).toList();
        if (alive.isEmpty()) {
            return FaultOps.noEffect("every target was already down");
        }
        String effect = inFsync.isEmpty()
                ? "no fsync began within " + CRASH_IN_FSYNC_WAIT_MILLIS + " ms (or a full disk took no marker): "
                        + "killed with SIGKILL"
                : "power cut in an fsync (the node's unsynced writes lost)"
                        + (killed.isEmpty() ? "" : "; the others began no fsync in time: killed with SIGKILL");
        return FaultOps.effect(effect, "nodes", inFsync, "sigkill", killed);
    }

    /**
     * Cuts the power of nodes in their next fsync: with writes held until synced ({@code --lose-unsynced-writes}),
     * each node halts itself inside that sync ({@link NioVfs#CRASH_MARKER}), losing what it had not made durable.
     * All are armed at once; one that begins no sync within {@code waitMillis} (an idle node) is killed with
     * SIGKILL. Returns the ids that died in an fsync (those not running are skipped).
     */
    private List<Integer> cutInFsync(List<Integer> ids, long waitMillis) throws IOException {
        Map<Integer, Process> armed = new TreeMap<>();
        List<Integer> tried = new ArrayList<>();
        try {
            for (int id : ids) {
                Process p = c.processes.get(id);
                if (p != null && p.isAlive()) {
                    c.killedByNemesis.add(id);
                    c.killedProcesses.add(p.pid());
                    tried.add(id);
                    try {
                        Files.writeString(c.dataDir(id).resolve(NioVfs.CRASH_MARKER), "armed by the harness\n");
                        armed.put(id, p);
                    } catch (IOException e) {
                        // A full disk takes no marker (the file is made, its bytes refused): killed outright, and
                        // the empty marker removed below, else the node's next life halts in its first fsync.
                        c.kill(id);
                    }
                }
            }
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis);
            List<Integer> inFsync = new ArrayList<>();
            for (Map.Entry<Integer, Process> e : armed.entrySet()) {
                long left = Math.max(0, deadline - System.nanoTime());
                if (e.getValue().waitFor(left, TimeUnit.NANOSECONDS)) {
                    inFsync.add(e.getKey());
                } else {
                    c.kill(e.getKey());
                }
                c.paused.remove(e.getKey());
            }
            return inFsync;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            armed.keySet().forEach(c::kill);
            return List.of();
        } finally {
            for (int id : tried) {
                Files.deleteIfExists(c.dataDir(id).resolve(NioVfs.CRASH_MARKER)); // else the next start halts
            }
        }
    }

    Object pause(List<Integer> targets) {
        List<Integer> hit = new ArrayList<>();
        List<Long> pids = new ArrayList<>();
        for (int id : targets) {
            if (c.alive(id) && c.paused.add(id)) {
                c.pause(c.processes.get(id));
                hit.add(id);
                pids.add(c.processes.get(id).pid());
            }
        }
        return hit.isEmpty()
                ? FaultOps.noEffect("no target was running")
                : FaultOps.effect(
                        c.options.containers() ? "paused by the engine (cgroup freezer)" : "stopped with SIGSTOP",
                        "nodes",
                        hit,
                        "pids",
                        pids);
    }

    Object startKilled() throws IOException {
        List<Integer> startedNodes = new ArrayList<>();
        List<Long> pids = new ArrayList<>();
        List<Integer> deferred = new ArrayList<>();
        for (int id : new TreeSet<>(c.killedByNemesis)) {
            if (!c.alive(id) && !c.refused.contains(id)) {
                c.killedByNemesis.remove(id);
                synchronized (c.disks.lock) {
                    if (c.disks.full.contains(id)) {
                        // Its disk is still full: it could only refuse to start. It starts once the disk has room.
                        c.disks.diedOfFull.add(id);
                        deferred.add(id);
                        continue;
                    }
                }
                c.launch(id);
                startedNodes.add(id);
                pids.add(c.processes.get(id).pid());
            }
        }
        c.killedByNemesis.clear();
        if (startedNodes.isEmpty()) {
            return deferred.isEmpty()
                    ? FaultOps.noEffect("no killed node was down")
                    : FaultOps.noEffect(
                            "the killed nodes' disks are full: they start once it has room", "nodes", deferred);
        }
        return deferred.isEmpty()
                ? FaultOps.effect("started", "nodes", startedNodes, "pids", pids)
                : FaultOps.effect("started", "nodes", startedNodes, "pids", pids, "waiting-for-disk", deferred);
    }

    Object resume() {
        if (c.paused.isEmpty()) {
            return FaultOps.noEffect("no node was paused");
        }
        List<Integer> resumed = new ArrayList<>();
        for (int id : new TreeSet<>(c.paused)) {
            if (c.alive(id)) {
                c.resume(c.processes.get(id));
                resumed.add(id);
            }
        }
        c.paused.clear();
        return resumed.isEmpty()
                ? FaultOps.noEffect("the paused nodes had been killed since")
                : FaultOps.effect(
                        c.options.containers() ? "thawed by the engine" : "continued with SIGCONT", "nodes", resumed);
    }

    // ------------------------------------------------------------------ clocks

    boolean clocksFaulted() {
        return !clockFaulted.isEmpty();
    }

    String faultedClocks() {
        return clockFaulted.toString();
    }

    /** Applies each clock change in order; answers with the first one's evidence (the targets'). */
    Object startClock(List<Fault.ClockChange> changes) throws IOException {
        Object evidence = null;
        for (Fault.ClockChange change : changes) {
            Object e = startClock(change.nodes(), change.offsetMillis(), change.driftPpm());
            evidence = evidence == null ? e : evidence;
        }
        return evidence;
    }

    private Object startClock(List<Integer> targets, long offsetMillis, long driftPpm) throws IOException {
        if (!c.clocks.movable()) {
            return FaultOps.noEffect(FakeClocks.whyNotMovable());
        }
        Map<String, Object> moved = new LinkedHashMap<>();
        double rate = Math.max(0.5, Math.min(2.0, 1 + driftPpm / 1e6));
        for (int id : targets) {
            c.clocks.move(id, offsetMillis, rate);
            clockFaulted.add(id);
            moved.put(String.valueOf(id), offsetMillis);
        }
        return FaultOps.effect(
                "clocks moved through libfaketime (wall and monotonic)", "moved-ms", moved, "rate", rate);
    }

    Object stopClock() throws IOException {
        if (clockFaulted.isEmpty()) {
            return FaultOps.noEffect("no clock was faulted");
        }
        List<Integer> reset = new ArrayList<>(clockFaulted);
        for (int id : reset) {
            c.clocks.normalRate(id);
        }
        clockFaulted.clear();
        return FaultOps.effect("clock rates back to normal (offsets kept)", "nodes", reset);
    }

    // ------------------------------------------------------------------ disks

    private Path filler(int id) {
        return c.dataDir(id).resolve("disk-full.fill");
    }

    /** Fills each target's data dir tmpfs to the last byte. */
    Object fillDisks(List<Integer> targets) throws IOException {
        if (c.disks.mounts.isEmpty()) {
            return FaultOps.noEffect(
                    "a full disk needs a size-limited mount of each data dir (tmpfs), which " + "needs root");
        }
        Map<String, Object> filled = new LinkedHashMap<>();
        for (int id : targets) {
            // Marked first: the node may fail on the full disk (and exit, by design) before fallocate returns.
            synchronized (c.disks.lock) {
                c.disks.full.add(id);
                c.disks.fullSinceLaunch.add(id);
            }
            long free = Files.getFileStore(c.dataDir(id)).getUsableSpace();
            if (free > 0) {
                Commands.run("fallocate", "-l", String.valueOf(free), filler(id).toString());
            }
            filled.put(
                    String.valueOf(id),
                    Checks.ordered(
                            "bytes-filled",
                            free,
                            "bytes-free-now",
                            Files.getFileStore(c.dataDir(id)).getUsableSpace()));
        }
        return FaultOps.effect("data dirs filled to the last byte", "disks", filled);
    }

    /** Frees the filled disks and starts the nodes that stopped on a full disk. */
    Object emptyDisks() throws IOException {
        if (c.disks.full.isEmpty()) {
            return FaultOps.noEffect("no disk was full");
        }
        List<Integer> freed = new ArrayList<>(new TreeSet<>(c.disks.full));
        for (int id : freed) {
            Files.deleteIfExists(filler(id));
        }
        List<Integer> died;
        synchronized (c.disks.lock) {
            c.disks.full.clear();
            died = new ArrayList<>(new TreeSet<>(c.disks.diedOfFull));
            c.disks.diedOfFull.clear();
        }
        for (int id : died) {
            if (!c.alive(id) && !c.refused.contains(id) && !c.killedByNemesis.contains(id)) {
                c.launch(id);
            }
        }
        return FaultOps.effect("disks have room again", "nodes", freed, "stopped-on-full-disk-and-restarted", died);
    }

    /** Kills the node, flips one bit in the middle of a WAL segment's data, and starts it again. */
    Object bitflip(int id) throws IOException {
        c.kill(id);
        List<Path> segments = new ArrayList<>();
        Path wal = c.dataDir(id).resolve("wal");
        if (Files.isDirectory(wal)) {
            try (Stream<Path> ls = Files.list(wal)) {
                ls.filter(p -> p.getFileName().toString().endsWith(".seg"))
                        .sorted()
                        .forEach(segments::add);
            }
        }
        String where = null;
        for (Path seg : segments) {
            long end = dataEnd(seg);
            if (end > 4096) {
                long pos = 64 + c.random.nextLong(end - 2048 - 64);
                try (RandomAccessFile f = new RandomAccessFile(seg.toFile(), "rw")) {
                    f.seek(pos);
                    int b = f.read();
                    f.seek(pos);
                    f.write(b ^ (1 << c.random.nextInt(8)));
                    f.getFD().sync();
                }
                where = seg.getFileName() + " byte " + pos;
                break;
            }
        }
        c.damaged.add(id);
        c.launch(id); // before it stops counting as killed: the old process's exit may be reported only now
        c.killedByNemesis.remove(id);
        if (where == null) {
            return FaultOps.noEffect("node " + id + " had no WAL data to corrupt yet; restarted it");
        }
        return FaultOps.effect("flipped a bit in a stopped node's WAL, then started it", "node", id, "where", where);
    }

    /** One past the last non-zero byte (segments may be preallocated with zeros). */
    private static long dataEnd(Path seg) throws IOException {
        byte[] all = Files.readAllBytes(seg);
        int end = all.length;
        while (end > 0 && all[end - 1] == 0) {
            end--;
        }
        return end;
    }

    /** Kills the node, empties its data dir, and starts it again: it must refuse (exit 2). */
    Object wipe(int id) throws IOException {
        c.kill(id);
        long files = LocalDiskDamage.emptyDataDir(c.dataDir(id));
        c.damaged.add(id);
        c.launch(id); // before it stops counting as killed: the old process's exit may be reported only now
        c.killedByNemesis.remove(id);
        return FaultOps.effect("emptied a stopped node's data dir, then started it", "node", id, "files-lost", files);
    }
}
