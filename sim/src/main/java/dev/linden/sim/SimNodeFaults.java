package dev.linden.sim;

import dev.linden.nemesis.Fault;
import dev.linden.nemesis.FaultOps;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * The simulator's faults of node processes and clocks: kills (at once), starts, pauses, resumes, clock jumps and
 * drifts, each measured (unsynced writes lost, tasks that waited, milliseconds moved).
 */
final class SimNodeFaults {
    private static final long MS = 1_000_000L;

    private final Simulation sim;
    private final SplittableRandom random;
    private final Set<Integer> paused = new TreeSet<>();
    private final Set<Integer> clockFaulted = new TreeSet<>();

    SimNodeFaults(Simulation sim, SplittableRandom random) {
        this.sim = sim;
        this.random = random;
    }

    boolean clockFaulted(int id) {
        return clockFaulted.contains(id);
    }

    /** A node a deferred kill took down: it is no longer paused. */
    void killed(int id) {
        paused.remove(id);
    }

    /** Resumes the paused nodes and sets every faulted clock back to a normal drift; says what it undid. */
    void heal(List<String> undone) {
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
    }

    Object kill(List<Integer> targets) {
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

    Object startKilled() {
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

    Object pause(List<Integer> targets) {
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

    Object resume() {
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

    /** Applies each clock change in order; answers with the first one's evidence (the targets'). */
    Object startClock(List<Fault.ClockChange> changes) {
        Object evidence = null;
        for (Fault.ClockChange c : changes) {
            Object e = startClock(c.nodes(), c.offsetMillis(), c.driftPpm());
            evidence = evidence == null ? e : evidence;
        }
        return evidence;
    }

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

    Object stopClock() {
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
}
