package dev.linden.sim;

import dev.linden.checker.history.OpType;
import dev.linden.nemesis.FaultOps;
import dev.linden.nemesis.Grudges;
import dev.linden.nemesis.Nemesis;
import dev.linden.nemesis.Targets;
import dev.linden.workloads.Completion;
import dev.linden.workloads.gen.Op;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * The nemesis bound to the simulator: each {@link FaultOps} operation acts on the simulated network,
 * processes, clocks and disks, and answers with what it observably did, measured rather than assumed
 * (messages a partition dropped, unsynced writes a kill lost, the milliseconds a clock moved, writes a
 * full disk refused). Completions are delivered as loop events, never from inside {@link #invoke}.
 */
final class SimNemesis implements Nemesis {
    private static final long MS = 1_000_000L;

    private final Simulation sim;
    private final SplittableRandom random;
    /** The active partition's links, and the partition-drop counter when it started. */
    private Set<Grudges.Link> partition;

    private long partitionDropsAtStart;
    private final Set<Integer> paused = new TreeSet<>();
    private final Set<Integer> clockFaulted = new TreeSet<>();
    /** Active link behaviors, with the network counter when each started. */
    private final Map<String, Long> links = new TreeMap<>();

    boolean clockFaulted(int id) {
        return clockFaulted.contains(id);
    }

    /** Faults that strike at a later event (an fsync, a disk operation, an election) and report then. */
    private final SimDeferredFaults deferred;
    /** Faults of the disks: full, slow, a flipped bit, replaced. */
    private final SimDiskFaults disks;
    /** Membership changes: a node replaced while serving. */
    private final SimMembershipFaults membership;

    SimNemesis(Simulation sim, SplittableRandom random) {
        this.sim = sim;
        this.random = random;
        this.deferred = new SimDeferredFaults(sim, random, paused::remove);
        this.disks = new SimDiskFaults(sim, random);
        this.membership = new SimMembershipFaults(sim, random);
    }

    @Override
    public void setup() {
        // The simulated world needs no preparation.
    }

    @Override
    public void teardown() {
        // Nothing outlives the simulation.
    }

    @Override
    public void invoke(Op op, Consumer<Completion> done) {
        Map<String, Object> v = op.value() instanceof Map<?, ?> m ? stringKeys(m) : Map.of();
        if (op.f().equals("kill") && "fsync".equals(v.get("during"))) {
            deferred.killDuringFsync(targets(v), done);
            return;
        }
        if (op.f().equals("transfer-leader")) {
            deferred.transferLeader(done);
            return;
        }
        if (op.f().equals("replace-node")) {
            membership.replace(String.valueOf(v.get("remove")), done);
            return;
        }
        if (op.f().equals("kill") && "disk-op".equals(v.get("during"))) {
            deferred.killAfterDiskOps(targets(v), number(v, "after-ops", 1), done);
            return;
        }
        Object result;
        try {
            result = apply(op.f(), v);
        } catch (IllegalArgumentException e) {
            result = FaultOps.noEffect("not a fault this nemesis knows: " + e.getMessage());
        }
        if (result instanceof Map<?, ?> m && m.get("effect") != null) {
            sim.note(op.f() + " " + v + " -> " + m);
        } else {
            sim.note(op.f() + " " + v + " -> no effect: " + result);
        }
        Object r = result;
        sim.loop.at(0, SimLoop.NEMESIS, 0, () -> done.accept(new Completion(OpType.INFO, r, null)));
    }

    @Override
    public void heal(Consumer<Completion> done) {
        List<String> undone = new ArrayList<>();
        if (partition != null) {
            // Healed the way stop-partition heals, so its evidence (messages dropped) is kept.
            undone.add("partition: " + stopPartition());
        }
        sim.network().heal();
        if (!links.isEmpty()) {
            undone.add("links " + links.keySet());
            links.clear();
        }
        for (int id : new ArrayList<>(paused)) {
            sim.node(id).resume();
            undone.add("resumed " + id);
        }
        paused.clear();
        for (int id : clockFaulted) {
            sim.node(id).adjustClock(0, random.nextLong(-200, 201));
            undone.add("clock of " + id);
        }
        clockFaulted.clear();
        for (SimNode n : sim.allNodes()) {
            if (n.disk.full || n.disk.readErrors) {
                undone.add("disk of " + n.id);
            }
            if (n.disk.stallNanos > 0) {
                undone.add("fsync stall of " + n.id);
            }
            n.disk.full = false;
            n.disk.readErrors = false;
            n.disk.stallNanos = 0;
            n.paused = false;
        }
        disks.healed();
        for (SimNode n : sim.allNodes()) {
            if (!n.up && !sim.permanentlyDown(n)) {
                n.start();
                undone.add("started " + n.id);
            }
        }
        sim.killedByNemesis.clear();
        sim.note("heal: " + undone);
        Object r = undone.isEmpty()
                ? FaultOps.noEffect("no fault was active")
                : FaultOps.effect("healed", "undone", undone);
        sim.loop.at(0, SimLoop.NEMESIS, 0, () -> done.accept(new Completion(OpType.INFO, r, null)));
    }

    /**
     * Why each hostile fault (issue 24) changes nothing here: what it exhausts or forges does not exist in
     * the simulated world. Said in the history, as for any fault a binding cannot inject.
     */
    private static final Map<String, String> HOSTILE_UNMODELLED = Map.of(
            "answer-flood",
                    "the simulator does not model a replica's heap: cached answers cannot exhaust it "
                            + "(and its clients are the workload's, one request in flight each)",
            "client-conn-flood", "simulated nodes have no client port, connections or connection limit",
            "peer-conn-flood", "simulated nodes have no sockets or file handles to exhaust",
            "half-frames", "the simulated network delivers whole messages; there is no framing or Netty memory",
            "forged-peer",
                    "the simulated network delivers only what nodes send: there is no peer port a stranger "
                            + "can dial, and no Hello to forge");

    private Object apply(String f, Map<String, Object> v) {
        switch (f) {
            case "start-partition":
                return startPartition(String.valueOf(v.getOrDefault("shape", "halves")));
            case "stop-partition":
                return stopPartition();
            case "kill":
                return kill(targets(v));
            case "start":
                return startKilled();
            case "pause":
                return pause(targets(v));
            case "resume":
                return resume();
            case "start-clock": {
                List<Integer> targets = targets(v);
                Object r = startClock(targets, number(v, "offset-ms", 0), number(v, "drift-ppm", 0));
                if (v.containsKey("others-drift-ppm")) {
                    List<Integer> others = new ArrayList<>(sim.nodes());
                    others.removeAll(targets);
                    startClock(others, 0, number(v, "others-drift-ppm", 0));
                }
                return r;
            }
            case "stop-clock":
                return stopClock();
            case "start-fsync-stall":
                return disks.startFsyncStall(targets(v), number(v, "stall-ms", 1_000));
            case "stop-fsync-stall":
                return disks.stopFsyncStall();
            case "start-disk-full":
                return disks.startDiskFull(targets(v));
            case "stop-disk-full":
                return disks.stopDiskFull();
            case "bitflip":
                return disks.bitflip(targets(v));
            case "wipe-disk":
                return disks.wipeDisk(targets(v));
            case "lose-tail":
                return disks.loseTail(
                        targets(v).get(0),
                        (int) Math.max(1, number(v, "records", 1)),
                        "inside-record".equals(v.get("cut")));
            case "lose-segments":
                return disks.loseSegments(targets(v).get(0));
            case "restart-as-new":
                return disks.restartAsNew(targets(v).get(0));
            case "start-link":
                return startLink(String.valueOf(v.get("behavior")), v);
            case "stop-link":
                return stopLink(String.valueOf(v.get("behavior")));
            case "start-answer-flood":
            case "start-client-conn-flood":
            case "start-peer-conn-flood":
            case "start-half-frames":
            case "start-forged-peer":
                return FaultOps.noEffect(HOSTILE_UNMODELLED.get(f.substring("start-".length())));
            case "stop-answer-flood":
            case "stop-client-conn-flood":
            case "stop-peer-conn-flood":
            case "stop-half-frames":
            case "stop-forged-peer":
                return FaultOps.noEffect("nothing was started: the simulator does not model " + f.substring(5));
            default:
                throw new IllegalArgumentException(f);
        }
    }

    private List<Integer> targets(Map<String, Object> v) {
        Object t = v.getOrDefault("targets", "one");
        if (t instanceof List<?> l) {
            List<Integer> out = new ArrayList<>();
            l.forEach(x -> out.add(((Number) x).intValue()));
            return out;
        }
        if (Targets.UP_TO_DATE_FOLLOWER.equals(t)) {
            int id = upToDateFollower();
            return id > 0 ? List.of(id) : Targets.resolve("one", sim.nodes(), sim.leader(), random);
        }
        return Targets.resolve(String.valueOf(t), sim.nodes(), sim.leader(), random);
    }

    /** The running follower with the furthest durable log (what it may have acknowledged), or -1. */
    private int upToDateFollower() {
        Map<Integer, Long> durable = new TreeMap<>();
        for (SimNode n : sim.allNodes()) {
            if (n.up && n.raft != null && n.raft.core() != null && !sim.permanentlyDown(n)) {
                durable.put(n.id, n.raft.core().durableIndex());
            }
        }
        return Targets.upToDateFollower(durable, sim.leader(), random);
    }

    // ------------------------------------------------------------------ network

    /** A new-leader partition waiting for the next election: the term it waits to see exceeded, or -1. */
    private long armedAboveTerm = -1;

    private String firedAt;

    /** A node became leader of {@code term}: an armed new-leader partition cuts it off now. */
    void leaderElected(int id, long term) {
        if (armedAboveTerm < 0 || term <= armedAboveTerm) {
            return;
        }
        armedAboveTerm = -1;
        Set<Grudges.Link> blocked = Grudges.of("new-leader", sim.nodes(), id, random);
        SimNetwork net = sim.network();
        net.blocked.clear();
        net.blocked.addAll(blocked);
        partition = new HashSet<>(blocked);
        firedAt = "leader " + id + " of term " + term + " at " + sim.loop.nowNanos() / MS + " ms";
        sim.note("new-leader partition fires: " + firedAt + ", grudge " + grudge(blocked));
    }

    private Object startPartition(String shape) {
        if (shape.equals("new-leader")) {
            // Two steps: the current leader is cut off so that another is elected, and that one is cut off
            // with a minority the moment it is (see leaderElected): what it appends then reaches a minority.
            SimNetwork net = sim.network();
            Set<Grudges.Link> first = Grudges.of("leader", sim.nodes(), sim.leader(), random);
            net.blocked.clear();
            net.blocked.addAll(first);
            if (partition == null) {
                partitionDropsAtStart = net.droppedByPartition;
            }
            partition = new HashSet<>(first);
            armedAboveTerm = sim.maxTerm();
            firedAt = null;
            return FaultOps.effect(
                    "armed: the leader is cut off, and the next leader elected after term " + armedAboveTerm
                            + " is cut off with a minority as soon as it is elected",
                    "shape",
                    shape,
                    "grudge",
                    grudge(first));
        }
        Set<Grudges.Link> blocked = Grudges.of(shape, sim.nodes(), sim.leader(), random);
        if (blocked.isEmpty()) {
            return FaultOps.noEffect("a " + shape + " partition of " + sim.nodeCount() + " node(s) cuts no link");
        }
        SimNetwork net = sim.network();
        net.blocked.clear();
        net.blocked.addAll(blocked);
        if (partition == null) {
            partitionDropsAtStart = net.droppedByPartition;
        }
        partition = new HashSet<>(blocked);
        return FaultOps.effect("partitioned", "shape", shape, "grudge", grudge(blocked));
    }

    private Object stopPartition() {
        if (partition == null) {
            return FaultOps.noEffect("no partition was active");
        }
        SimNetwork net = sim.network();
        net.blocked.clear();
        partition = null;
        boolean wasArmed = armedAboveTerm >= 0;
        armedAboveTerm = -1;
        String fired = firedAt;
        firedAt = null;
        long dropped = net.droppedByPartition - partitionDropsAtStart;
        if (wasArmed) {
            return FaultOps.effect(
                    "healed: no new leader was elected while the new-leader partition was armed "
                            + "(only the old leader was cut off)",
                    "dropped",
                    dropped);
        }
        if (dropped == 0) {
            return FaultOps.noEffect("healed, but no message crossed the cut while it held", "dropped", 0L);
        }
        return fired == null
                ? FaultOps.effect("healed", "dropped", dropped)
                : FaultOps.effect("healed", "dropped", dropped, "fired-at", fired);
    }

    private Map<String, Object> grudge(Set<Grudges.Link> blocked) {
        Map<String, Object> g = new LinkedHashMap<>();
        Grudges.grudge(blocked, sim.nodes()).forEach((to, from) -> g.put(String.valueOf(to), from));
        return g;
    }

    private Object startLink(String behavior, Map<String, Object> v) {
        SimNetwork net = sim.network();
        if (links.containsKey(behavior)) {
            return FaultOps.noEffect("link behavior " + behavior + " is already active");
        }
        switch (behavior) {
            case "loss": {
                double rate = Math.min(0.9, Math.max(0.0, ((Number) v.getOrDefault("rate", 0.2)).doubleValue()));
                net.lossRate = rate;
                links.put(behavior, net.droppedByLoss);
                return FaultOps.effect("losing messages", "rate", rate);
            }
            case "duplicate": {
                double rate = Math.min(0.9, Math.max(0.0, ((Number) v.getOrDefault("rate", 0.2)).doubleValue()));
                net.duplicateRate = rate;
                links.put(behavior, net.duplicated);
                return FaultOps.effect("duplicating messages", "rate", rate);
            }
            case "reorder": {
                long jitter = Math.max(1, number(v, "jitter-micros", 5_000));
                net.jitterMicros = jitter;
                links.put(behavior, net.reordered);
                return FaultOps.effect("reordering messages", "jitter-micros", jitter);
            }
            case "clog": {
                List<Integer> nodes = targets(v);
                net.clogged.addAll(nodes);
                links.put(behavior, net.clogDelayed);
                return FaultOps.effect("clogged", "nodes", nodes);
            }
            default:
                throw new IllegalArgumentException("start-link behavior " + behavior);
        }
    }

    private Object stopLink(String behavior) {
        Long at = links.remove(behavior);
        if (at == null) {
            return FaultOps.noEffect("link behavior " + behavior + " was not active");
        }
        SimNetwork net = sim.network();
        long n;
        String what;
        switch (behavior) {
            case "loss":
                net.lossRate = 0;
                n = net.droppedByLoss - at;
                what = "lost";
                break;
            case "duplicate":
                net.duplicateRate = 0;
                n = net.duplicated - at;
                what = "duplicated";
                break;
            case "reorder":
                net.jitterMicros = 0;
                n = net.reordered - at;
                what = "delayed";
                break;
            default:
                net.clogged.clear();
                n = net.clogDelayed - at;
                what = "delayed";
        }
        return n == 0 ? FaultOps.noEffect("no message was affected", what, 0L) : FaultOps.effect("restored", what, n);
    }

    // ------------------------------------------------------------------ processes

    private Object kill(List<Integer> targets) {
        List<Integer> killed = new ArrayList<>();
        long lost = 0;
        long torn = 0;
        for (int id : targets) {
            long[] l = sim.node(id).crash();
            sim.killedByNemesis.add(id);
            paused.remove(id);
            if (l != null) {
                killed.add(id);
                lost += l[0];
                torn += l[1];
            }
        }
        if (killed.isEmpty()) {
            return FaultOps.noEffect("every target was already down", "targets", targets);
        }
        return FaultOps.effect("killed", "nodes", killed, "unsynced-writes-lost", lost, "writes-torn", torn);
    }

    private Object startKilled() {
        List<Integer> started = new ArrayList<>();
        List<Integer> refused = new ArrayList<>();
        for (int id : new TreeSet<>(sim.killedByNemesis)) {
            SimNode n = sim.node(id);
            if (!n.up && !sim.permanentlyDown(n)) {
                n.start();
                (n.up ? started : refused).add(id);
            }
        }
        sim.killedByNemesis.clear();
        if (started.isEmpty() && refused.isEmpty()) {
            return FaultOps.noEffect("no killed node was down");
        }
        return FaultOps.effect("started", "nodes", started, "refused", refused);
    }

    private Object pause(List<Integer> targets) {
        List<Integer> hit = new ArrayList<>();
        for (int id : targets) {
            SimNode n = sim.node(id);
            if (n.up && !n.paused) {
                n.pause();
                paused.add(id);
                hit.add(id);
            }
        }
        return hit.isEmpty()
                ? FaultOps.noEffect("no target was running", "targets", targets)
                : FaultOps.effect("paused", "nodes", hit);
    }

    private Object resume() {
        if (paused.isEmpty()) {
            return FaultOps.noEffect("no node was paused");
        }
        List<Integer> resumed = new ArrayList<>();
        long waited = 0;
        for (int id : paused) {
            SimNode n = sim.node(id);
            if (n.paused) {
                waited += n.resume();
                resumed.add(id);
            }
        }
        paused.clear();
        return resumed.isEmpty()
                ? FaultOps.noEffect("the paused nodes had been killed since")
                : FaultOps.effect("resumed", "nodes", resumed, "tasks-waited", waited);
    }

    // ------------------------------------------------------------------ clocks and disks

    private Object startClock(List<Integer> targets, long offsetMillis, long driftPpm) {
        Map<String, Object> moved = new LinkedHashMap<>();
        for (int id : targets) {
            SimNode n = sim.node(id);
            long before = n.nodeNowNanos();
            n.adjustClock(offsetMillis, driftPpm);
            moved.put(String.valueOf(id), (n.nodeNowNanos() - before) / MS);
            clockFaulted.add(id);
        }
        if (offsetMillis == 0 && driftPpm == 0) {
            return FaultOps.noEffect("neither offset nor drift");
        }
        return FaultOps.effect("clocks changed", "moved-ms", moved, "drift-ppm", driftPpm);
    }

    private Object stopClock() {
        if (clockFaulted.isEmpty()) {
            return FaultOps.noEffect("no clock was faulted");
        }
        List<Integer> reset = new ArrayList<>(clockFaulted);
        for (int id : reset) {
            sim.node(id).adjustClock(0, random.nextLong(-200, 201)); // a normal quartz's drift again
        }
        clockFaulted.clear();
        return FaultOps.effect("drift back to normal", "nodes", reset);
    }

    private static long number(Map<String, Object> v, String key, long dflt) {
        Object o = v.get(key);
        return o instanceof Number n ? n.longValue() : dflt;
    }

    private static Map<String, Object> stringKeys(Map<?, ?> m) {
        Map<String, Object> out = new LinkedHashMap<>();
        m.forEach((k, x) -> out.put(String.valueOf(k), x));
        return out;
    }
}
