package dev.linden.sim;

import dev.linden.nemesis.Fault;
import dev.linden.nemesis.FaultOps;
import dev.linden.nemesis.Grudges;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * The simulator's network faults: partitions (a new-leader partition fires at the next election) and link
 * behaviors (loss, duplication, reordering, clogging), each answered with what the network counted while it held.
 */
final class SimNetworkFaults {
    private static final long MS = 1_000_000L;

    private final Simulation sim;
    private final SplittableRandom random;
    /** The active partition's links, and the partition-drop counter when it started. */
    private Set<Grudges.Link> partition;

    private long partitionDropsAtStart;
    /** Active link behaviors, with the network counter when each started. */
    private final Map<Fault.Link, Long> links = new TreeMap<>();
    /** A new-leader partition waiting for the next election: the term it waits to see exceeded, or -1. */
    private long armedAboveTerm = -1;

    private String firedAt;

    SimNetworkFaults(Simulation sim, SplittableRandom random) {
        this.sim = sim;
        this.random = random;
    }

    /** Heals the network (a partition the way stop-partition heals it, keeping its evidence); says what it undid. */
    void heal(List<String> undone) {
        if (partition != null) {
            undone.add("partition: " + stopPartition());
        }
        sim.network().heal();
        if (!links.isEmpty()) {
            List<String> names = links.keySet().stream().map(Fault.Link::text).toList();
            undone.add("links " + names);
            links.clear();
        }
    }

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

    Object startPartition(String shape) {
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
        return cut(shape, Grudges.of(shape, sim.nodes(), sim.leader(), random));
    }

    /** Cuts {@code node} off from every other node (not from clients): a stale leader's partition. */
    Object isolate(int node) {
        return cut("leader", Grudges.of("leader", sim.nodes(), node, random));
    }

    private Object cut(String shape, Set<Grudges.Link> blocked) {
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

    Object stopPartition() {
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

    private Object alreadyActive(Fault.Link link) {
        return links.containsKey(link)
                ? FaultOps.noEffect("link behavior " + link.text() + " is already active")
                : null;
    }

    Object startLoss(double rateAsked) {
        Object busy = alreadyActive(Fault.Link.LOSS);
        if (busy != null) {
            return busy;
        }
        double rate = Math.min(0.9, Math.max(0.0, rateAsked));
        sim.network().lossRate = rate;
        links.put(Fault.Link.LOSS, sim.network().droppedByLoss);
        return FaultOps.effect("losing messages", "rate", rate);
    }

    Object startCorrupt(double rateAsked) {
        Object busy = alreadyActive(Fault.Link.CORRUPT);
        if (busy != null) {
            return busy;
        }
        double rate = Math.min(0.5, Math.max(0.0, rateAsked));
        sim.network().corruptRate = rate;
        links.put(Fault.Link.CORRUPT, sim.network().framesCorrupted);
        return FaultOps.effect("damaging frames", "rate", rate);
    }

    Object startDuplicate(double rateAsked) {
        Object busy = alreadyActive(Fault.Link.DUPLICATE);
        if (busy != null) {
            return busy;
        }
        double rate = Math.min(0.9, Math.max(0.0, rateAsked));
        sim.network().duplicateRate = rate;
        links.put(Fault.Link.DUPLICATE, sim.network().duplicated);
        return FaultOps.effect("duplicating messages", "rate", rate);
    }

    Object startReorder(long jitterMicrosAsked) {
        Object busy = alreadyActive(Fault.Link.REORDER);
        if (busy != null) {
            return busy;
        }
        long jitter = Math.max(1, jitterMicrosAsked);
        sim.network().jitterMicros = jitter;
        links.put(Fault.Link.REORDER, sim.network().reordered);
        return FaultOps.effect("reordering messages", "jitter-micros", jitter);
    }

    /** Clogs the links of the nodes {@code targets} resolves to (resolved only if clog is not active yet). */
    Object startClog(Supplier<List<Integer>> targets) {
        Object busy = alreadyActive(Fault.Link.CLOG);
        if (busy != null) {
            return busy;
        }
        List<Integer> nodes = targets.get();
        sim.network().clogged.addAll(nodes);
        links.put(Fault.Link.CLOG, sim.network().clogDelayed);
        return FaultOps.effect("clogged", "nodes", nodes);
    }

    Object stopLink(Fault.Link link) {
        Long at = links.remove(link);
        if (at == null) {
            return FaultOps.noEffect("link behavior " + link.text() + " was not active");
        }
        SimNetwork net = sim.network();
        long n;
        String what;
        switch (link) {
            case LOSS:
                net.lossRate = 0;
                n = net.droppedByLoss - at;
                what = "lost";
                break;
            case CORRUPT:
                net.corruptRate = 0;
                n = net.framesCorrupted - at;
                what = "damaged";
                break;
            case DUPLICATE:
                net.duplicateRate = 0;
                n = net.duplicated - at;
                what = "duplicated";
                break;
            case REORDER:
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
}
