package dev.linden.realenv;

import dev.linden.checker.history.OpType;
import dev.linden.kvnode.net.Wire;
import dev.linden.nemesis.FaultOps;
import dev.linden.nemesis.Grudges;
import dev.linden.nemesis.Nemesis;
import dev.linden.nemesis.Targets;
import dev.linden.workloads.Completion;
import dev.linden.workloads.check.Checks;
import dev.linden.workloads.gen.Op;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The nemesis of {@link LocalTestCluster}: each {@code FaultOps} operation as signals (SIGKILL,
 * SIGSTOP/SIGCONT), link-proxy rules or iptables rules (partitions, loss, duplication, reordering,
 * clogging), files (a bit flipped in a stopped node's WAL, a wiped data dir, a filled tmpfs) and
 * libfaketime control files (clocks), each answered with what it did. Completions go through the
 * cluster's scheduler, never from inside {@link #invoke}.
 */
final class LocalNemesis implements Nemesis {
    private final LocalTestCluster c;
    /** Kills a node, destroys part of its data dir, starts it again: lose-tail, lose-segments, restart-as-new. */
    private final LocalDiskDamage damage;

    /** The hostile faults: the harness attacks the nodes (issue 24). */
    private final HostileAttacks hostile;

    LocalNemesis(LocalTestCluster c) {
        this.c = c;
        this.damage = new LocalDiskDamage(c);
        this.hostile = new HostileAttacks(c);
        c.hostile = hostile;
    }

    private final Set<String> cutLinks = new HashSet<>();
    private long droppedAtCut;
    private final Map<String, Long> linkStartCount = new TreeMap<>();
    private final Set<Integer> clogged = new HashSet<>();

    @Override
    public void setup() {}

    @Override
    public void teardown() {
        hostile.close();
    }

    @Override
    public void invoke(Op op, Consumer<Completion> done) {
        Map<String, Object> v = new LinkedHashMap<>();
        if (op.value() instanceof Map<?, ?> m) {
            m.forEach((k, x) -> v.put(String.valueOf(k), x));
        }
        if (HostileAttacks.handles(op.f())) {
            // On the attack thread: an attack takes seconds, and the runner's thread must not wait for it.
            hostile.invoke(
                    op.f(), v, r -> c.scheduler.schedule(0, () -> done.accept(new Completion(OpType.INFO, r, null))));
            return;
        }
        Object result;
        try {
            result = apply(op.f(), v);
        } catch (IOException | RuntimeException e) {
            result = FaultOps.noEffect("failed: " + e);
        }
        Object r = result;
        c.scheduler.schedule(0, () -> done.accept(new Completion(OpType.INFO, r, null)));
    }

    private List<Integer> targets(Map<String, Object> v) {
        if (Targets.UP_TO_DATE_FOLLOWER.equals(v.get("targets"))) {
            // Progress as the nodes report it: a follower's commit index trails its log by a heartbeat at most.
            Map<Integer, Long> progress = new TreeMap<>();
            c.status(true).forEach((id, s) -> progress.put(id, Math.max(s.commitIndex(), s.appliedIndex())));
            int id = Targets.upToDateFollower(progress, c.leader(false), c.random);
            if (id > 0) {
                return List.of(id);
            }
            v = Map.of("targets", "one");
        }
        return Targets.resolve(String.valueOf(v.getOrDefault("targets", "one")), c.nodes(), c.leader(true), c.random);
    }

    private Object apply(String f, Map<String, Object> v) throws IOException {
        switch (f) {
            case "start-partition":
                return partition(String.valueOf(v.getOrDefault("shape", "halves")));
            case "stop-partition":
                return stopPartition();
            case "kill": {
                List<Integer> killed = new ArrayList<>();
                List<Long> pids = new ArrayList<>();
                for (int id : targets(v)) {
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
            case "start":
                return startKilled();
            case "pause": {
                List<Integer> hit = new ArrayList<>();
                List<Long> pids = new ArrayList<>();
                for (int id : targets(v)) {
                    if (c.alive(id) && c.paused.add(id)) {
                        c.pause(c.processes.get(id));
                        hit.add(id);
                        pids.add(c.processes.get(id).pid());
                    }
                }
                return hit.isEmpty()
                        ? FaultOps.noEffect("no target was running")
                        : FaultOps.effect(
                                c.options.containers()
                                        ? "paused by the engine (cgroup freezer)"
                                        : "stopped with SIGSTOP",
                                "nodes",
                                hit,
                                "pids",
                                pids);
            }
            case "resume":
                return resume();
            case "start-link":
                return startLink(String.valueOf(v.get("behavior")), v);
            case "stop-link":
                return stopLink(String.valueOf(v.get("behavior")));
            case "bitflip":
                return bitflip(targets(v).get(0));
            case "wipe-disk":
                return wipe(targets(v).get(0));
            case "lose-tail":
                return damage.loseTail(
                        targets(v).get(0),
                        Math.max(1, ((Number) v.getOrDefault("records", 1L)).intValue()),
                        "inside-record".equals(v.get("cut")));
            case "lose-segments":
                return damage.loseSegments(targets(v).get(0));
            case "restart-as-new":
                return damage.restartAsNew(targets(v).get(0));
            case "start-clock": {
                List<Integer> targets = targets(v);
                Object r = startClock(
                        targets,
                        ((Number) v.getOrDefault("offset-ms", 0L)).longValue(),
                        ((Number) v.getOrDefault("drift-ppm", 0L)).longValue());
                if (v.containsKey("others-drift-ppm") && c.clocks.movable()) {
                    List<Integer> others = new ArrayList<>(c.nodes());
                    others.removeAll(targets);
                    startClock(others, 0, ((Number) v.get("others-drift-ppm")).longValue());
                }
                return r;
            }
            case "stop-clock":
                return stopClock();
            case "transfer-leader":
                return transferLeader();
            case "replace-node":
                return c.membership.replace(String.valueOf(v.get("remove")));
            case "start-fsync-stall":
                return FaultOps.noEffect("stalling a real process's fsync needs a delaying block device "
                        + "(device-mapper's delay target) under its data dir; this binding has none");
            case "stop-fsync-stall":
                return FaultOps.noEffect("no fsync was stalled");
            case "start-disk-full":
                return fillDisks(targets(v));
            case "stop-disk-full":
                return emptyDisks();
            default:
                return FaultOps.noEffect("not a fault this nemesis knows: " + f);
        }
    }

    /** The leader hands over to another live voter through the client port; reports whether it took over. */
    private Object transferLeader() {
        int from = c.leader(true);
        List<Integer> others = new ArrayList<>();
        for (int id : c.nodes()) {
            if (id != from && c.alive(id) && !c.paused.contains(id)) {
                others.add(id);
            }
        }
        if (from < 0 || others.isEmpty()) {
            return FaultOps.noEffect(from < 0 ? "no leader to hand over from" : "no other voter is up");
        }
        int to = others.get(c.random.nextInt(others.size()));
        long t0 = System.nanoTime();
        try {
            Wire.TransferResponse r = c.transferLeadership(from, to);
            return r.ok()
                    ? FaultOps.effect(
                            "leadership handed over",
                            "from",
                            from,
                            "to",
                            to,
                            "ms",
                            (System.nanoTime() - t0) / 1_000_000)
                    : FaultOps.effect("transfer asked, not completed: " + r.message(), "from", from, "to", to);
        } catch (Exception e) {
            return FaultOps.effect("transfer asked, no answer: " + e, "from", from, "to", to);
        }
    }

    private final Set<Integer> clockFaulted = new TreeSet<>();

    private Path filler(int id) {
        return c.dataDir(id).resolve("disk-full.fill");
    }

    /** Fills each target's data dir tmpfs to the last byte. */
    private Object fillDisks(List<Integer> targets) throws IOException {
        if (c.mounts.isEmpty()) {
            return FaultOps.noEffect(
                    "a full disk needs a size-limited mount of each data dir (tmpfs), which " + "needs root");
        }
        Map<String, Object> filled = new LinkedHashMap<>();
        for (int id : targets) {
            // Marked first: the node may fail on the full disk (and exit, by design) before fallocate returns.
            synchronized (c.diskLock) {
                c.diskFull.add(id);
                c.fullSinceLaunch.add(id);
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
    private Object emptyDisks() throws IOException {
        if (c.diskFull.isEmpty()) {
            return FaultOps.noEffect("no disk was full");
        }
        List<Integer> freed = new ArrayList<>(new TreeSet<>(c.diskFull));
        for (int id : freed) {
            Files.deleteIfExists(filler(id));
        }
        List<Integer> died;
        synchronized (c.diskLock) {
            c.diskFull.clear();
            died = new ArrayList<>(new TreeSet<>(c.diedOfFullDisk));
            c.diedOfFullDisk.clear();
        }
        for (int id : died) {
            if (!c.alive(id) && !c.refused.contains(id) && !c.killedByNemesis.contains(id)) {
                c.launch(id);
            }
        }
        return FaultOps.effect("disks have room again", "nodes", freed, "stopped-on-full-disk-and-restarted", died);
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

    private Object stopClock() throws IOException {
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

    private Object partition(String shape) throws IOException {
        Set<Grudges.Link> blocked = Grudges.of(shape, c.nodes(), c.leader(true), c.random);
        if (blocked.isEmpty()) {
            return FaultOps.noEffect("a " + shape + " partition of " + c.n + " node(s) cuts no link");
        }
        if (c.netns != null) {
            c.netns.heal();
            cutLinks.clear();
            for (Grudges.Link l : blocked) {
                c.netns.drop(l.from(), l.to());
                cutLinks.add(l.from() + ">" + l.to());
            }
            Map<String, Object> grudge = new LinkedHashMap<>();
            Grudges.grudge(blocked, c.nodes()).forEach((to, from) -> grudge.put(String.valueOf(to), from));
            return FaultOps.effect(
                    "partitioned with iptables DROP rules in the nodes' namespaces", "shape", shape, "grudge", grudge);
        }
        restoreCuts();
        droppedAtCut = droppedFrames();
        for (Grudges.Link l : blocked) {
            c.proxies.get(c.link(l.from(), l.to())).from(l.from()).cut = true;
            cutLinks.add(l.from() + ">" + l.to());
        }
        Map<String, Object> grudge = new LinkedHashMap<>();
        Grudges.grudge(blocked, c.nodes()).forEach((to, from) -> grudge.put(String.valueOf(to), from));
        return FaultOps.effect("partitioned at the link proxies", "shape", shape, "grudge", grudge);
    }

    private long droppedFrames() {
        long d = 0;
        for (LinkProxy p : c.proxies.values()) {
            d += p.up.dropped.get() + p.down.dropped.get();
        }
        return d;
    }

    private void restoreCuts() {
        for (LinkProxy p : c.proxies.values()) {
            p.up.cut = false;
            p.down.cut = false;
        }
        cutLinks.clear();
    }

    private Object stopPartition() throws IOException {
        if (cutLinks.isEmpty()) {
            return FaultOps.noEffect("no partition was active");
        }
        if (c.netns != null) {
            long packets = c.netns.droppedPackets();
            c.netns.heal();
            cutLinks.clear();
            return packets == 0
                    ? FaultOps.noEffect("healed, but no packet crossed the cut while it held")
                    : FaultOps.effect("healed", "packets-dropped", packets);
        }
        long dropped = droppedFrames() - droppedAtCut;
        restoreCuts();
        return dropped == 0
                ? FaultOps.noEffect("healed, but no frame crossed the cut while it held")
                : FaultOps.effect("healed", "frames-dropped", dropped);
    }

    private long linkCounter(String behavior) {
        long count = 0;
        for (LinkProxy p : c.proxies.values()) {
            for (LinkProxy.Direction d : List.of(p.up, p.down)) {
                count += switch (behavior) {
                    case "loss" -> d.lost.get();
                    case "duplicate" -> d.duplicated.get();
                    default -> d.delayed.get();
                };
            }
        }
        return count;
    }

    private Object startLink(String behavior, Map<String, Object> v) {
        if (c.netns != null) {
            return FaultOps.noEffect("link faults need netem (not available here) under --net c.netns; "
                    + "the default --net proxy has them");
        }
        if (linkStartCount.containsKey(behavior)) {
            return FaultOps.noEffect("link behavior " + behavior + " is already active");
        }
        linkStartCount.put(behavior, linkCounter(behavior));
        List<Integer> hit = new ArrayList<>();
        if (behavior.equals("clog")) {
            hit = targets(v);
            clogged.addAll(hit);
            if (c.toxiproxy != null) {
                return clogThroughToxiproxy(hit);
            }
        }
        for (LinkProxy p : c.proxies.values()) {
            for (LinkProxy.Direction d : List.of(p.up, p.down)) {
                switch (behavior) {
                    case "loss" -> d.lossRate = ((Number) v.getOrDefault("rate", 0.2)).doubleValue();
                    case "duplicate" -> d.duplicateRate = ((Number) v.getOrDefault("rate", 0.2)).doubleValue();
                    case "reorder" -> d.jitterMicros = ((Number) v.getOrDefault("jitter-micros", 5_000)).longValue();
                    case "clog" -> {
                        if (clogged.contains(p.low) || clogged.contains(p.high)) {
                            d.delayMillis = 500 + c.random.nextInt(2_500);
                        }
                    }
                    default -> throw new IllegalArgumentException("start-link behavior " + behavior);
                }
            }
        }
        return FaultOps.effect("link proxies " + behavior, "nodes", hit);
    }

    /** A clog by Toxiproxy toxics on every link of the clogged nodes: latency, bandwidth, slicer, maybe a stall. */
    private Object clogThroughToxiproxy(List<Integer> hit) {
        List<String> links = new ArrayList<>();
        for (String link : c.proxies.keySet()) {
            String[] ends = link.split("-");
            if (hit.contains(Integer.parseInt(ends[0])) || hit.contains(Integer.parseInt(ends[1]))) {
                links.add(link);
            }
        }
        try {
            return FaultOps.effect(
                    "links clogged by Toxiproxy toxics", "nodes", hit, "toxics", c.toxiproxy.clog(links, c.random));
        } catch (IOException e) {
            return FaultOps.noEffect("the Toxiproxy server refused the toxics: " + e.getMessage());
        }
    }

    private Object stopLink(String behavior) {
        Long at = linkStartCount.remove(behavior);
        if (at == null) {
            return FaultOps.noEffect("link behavior " + behavior + " was not active");
        }
        if (behavior.equals("clog") && c.toxiproxy != null) {
            clogged.clear();
            try {
                return FaultOps.effect("Toxiproxy toxics removed", "toxics-removed", c.toxiproxy.unclog());
            } catch (IOException e) {
                return FaultOps.noEffect("the Toxiproxy server did not remove the toxics: " + e.getMessage());
            }
        }
        long affected = linkCounter(behavior) - at;
        for (LinkProxy p : c.proxies.values()) {
            for (LinkProxy.Direction d : List.of(p.up, p.down)) {
                switch (behavior) {
                    case "loss" -> d.lossRate = 0;
                    case "duplicate" -> d.duplicateRate = 0;
                    case "reorder" -> d.jitterMicros = 0;
                    default -> d.delayMillis = 0;
                }
            }
        }
        if (behavior.equals("clog")) {
            clogged.clear();
        }
        return affected == 0
                ? FaultOps.noEffect("no frame was affected")
                : FaultOps.effect("restored", "frames-affected", affected);
    }

    private Object startKilled() throws IOException {
        List<Integer> startedNodes = new ArrayList<>();
        List<Long> pids = new ArrayList<>();
        for (int id : new TreeSet<>(c.killedByNemesis)) {
            if (!c.alive(id) && !c.refused.contains(id)) {
                c.killedByNemesis.remove(id);
                c.launch(id);
                startedNodes.add(id);
                pids.add(c.processes.get(id).pid());
            }
        }
        c.killedByNemesis.clear();
        return startedNodes.isEmpty()
                ? FaultOps.noEffect("no killed node was down")
                : FaultOps.effect("started", "nodes", startedNodes, "pids", pids);
    }

    private Object resume() {
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

    /** Kills the node, flips one bit in the middle of a WAL segment's data, and starts it again. */
    private Object bitflip(int id) throws IOException {
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
    private long dataEnd(Path seg) throws IOException {
        byte[] all = Files.readAllBytes(seg);
        int end = all.length;
        while (end > 0 && all[end - 1] == 0) {
            end--;
        }
        return end;
    }

    /** Kills the node, empties its data dir, and starts it again: it must refuse (exit 2). */
    private Object wipe(int id) throws IOException {
        c.kill(id);
        long files = LocalDiskDamage.emptyDataDir(c.dataDir(id));
        c.damaged.add(id);
        c.launch(id); // before it stops counting as killed: the old process's exit may be reported only now
        c.killedByNemesis.remove(id);
        return FaultOps.effect("emptied a stopped node's data dir, then started it", "node", id, "files-lost", files);
    }

    @Override
    public void heal(Consumer<Completion> done) {
        List<String> undone = new ArrayList<>();
        try {
            if (!cutLinks.isEmpty()) {
                // Healed the way stop-partition heals, so its evidence (frames or packets dropped) is kept.
                undone.add("partition: " + stopPartition());
            }
        } catch (IOException e) {
            undone.add("partition: iptables flush failed: " + e.getMessage());
        }
        restoreCuts();
        for (LinkProxy p : c.proxies.values()) {
            p.up.reset();
            p.down.reset();
        }
        if (c.toxiproxy != null) {
            try {
                int removed = c.toxiproxy.unclog();
                if (removed > 0) {
                    undone.add(removed + " Toxiproxy toxics");
                }
            } catch (IOException e) {
                undone.add("Toxiproxy toxics not removed: " + e.getMessage());
            }
        }
        if (!linkStartCount.isEmpty()) {
            undone.add("links " + linkStartCount.keySet());
            linkStartCount.clear();
        }
        clogged.clear();
        for (String stopped : hostile.stopAll()) {
            undone.add("hostile " + stopped);
        }
        Object r;
        try {
            if (!clockFaulted.isEmpty()) {
                undone.add("clock rates of " + clockFaulted);
                stopClock();
            }
            if (!c.diskFull.isEmpty()) {
                undone.add("full disks of " + c.diskFull);
                emptyDisks();
            }
            Object resumed = resume();
            if (effective(resumed)) {
                undone.add("resumed");
            }
            Object startedNodes = startKilled();
            if (effective(startedNodes)) {
                undone.add("started killed nodes");
            }
            r = undone.isEmpty()
                    ? FaultOps.noEffect("no fault was active")
                    : FaultOps.effect("healed", "undone", undone);
        } catch (IOException e) {
            r = FaultOps.noEffect("heal failed: " + e);
        }
        Object result = r;
        c.scheduler.schedule(0, () -> done.accept(new Completion(OpType.INFO, result, null)));
    }

    /** Whether a fault result says it had an effect. */
    private static boolean effective(Object result) {
        return result instanceof Map<?, ?> m && m.get("effect") != null;
    }
}
