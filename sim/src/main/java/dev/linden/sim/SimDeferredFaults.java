package dev.linden.sim;

import dev.linden.checker.history.OpType;
import dev.linden.kvnode.client.OperatorCore;
import dev.linden.nemesis.FaultOps;
import dev.linden.workloads.Completion;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * The simulator's faults that are armed now and strike at a later event, reporting their completion then:
 * a kill inside a target's next fsync, a kill right after its k-th disk operation, and a leadership
 * transfer (reported once the target leads, or after a wait). Completions are delivered as loop events.
 */
final class SimDeferredFaults {
    private static final long MS = 1_000_000L;

    private final Simulation sim;
    private final SplittableRandom random;
    /** Told of each node such a kill took down (the nemesis forgets it was paused). */
    private final Consumer<Integer> onKilled;
    /** Asks for leadership transfers over the simulated client port. */
    private final SimOperator operator;

    SimDeferredFaults(Simulation sim, SplittableRandom random, Consumer<Integer> onKilled, SimOperator operator) {
        this.sim = sim;
        this.random = random;
        this.onKilled = onKilled;
        this.operator = operator;
    }

    /** How one kind of armed kill is set on a node's disk, and taken off again. */
    private interface CrashPoint {
        void arm(SimDisk disk, Runnable crash);

        void disarm(SimDisk disk);
    }

    /**
     * A crash point inside I/O: each target dies at a random moment inside its next fsync. Completes once
     * every target has crashed, or after {@link #FSYNC_KILL_WAIT_NANOS} for those that never synced.
     */
    void killDuringFsync(List<Integer> targets, Consumer<Completion> done) {
        armKills(
                targets,
                new CrashPoint() {
                    @Override
                    public void arm(SimDisk disk, Runnable crash) {
                        disk.crashDuringNextSync = crash;
                    }

                    @Override
                    public void disarm(SimDisk disk) {
                        disk.crashDuringNextSync = null; // never synced within the wait
                    }
                },
                Map.of(),
                "kill inside an fsync",
                "no target began an fsync",
                "killed inside an fsync",
                done);
    }

    /**
     * Arms each target to die right after its k-th disk operation from now (the operation done, the code
     * that issued it stopped there), waiting as long as a kill inside an fsync waits.
     */
    void killAfterDiskOps(List<Integer> targets, long afterOps, Consumer<Completion> done) {
        armKills(
                targets,
                new CrashPoint() {
                    @Override
                    public void arm(SimDisk disk, Runnable crash) {
                        disk.crashAfterOps = afterOps;
                        disk.crashAfterOpsAction = crash;
                    }

                    @Override
                    public void disarm(SimDisk disk) {
                        disk.crashAfterOps = 0; // fewer operations than that within the wait
                        disk.crashAfterOpsAction = null;
                    }
                },
                Map.of("after-ops", afterOps),
                "kill after a disk operation",
                "no target did " + afterOps + " disk operations",
                "killed right after a disk operation",
                done);
    }

    /**
     * Arms {@code point} on every target that is up; each that crashes by it is recorded with its evidence
     * ({@code extra} first); after {@link #FSYNC_KILL_WAIT_NANOS} the rest are disarmed and the completion
     * says what happened.
     */
    private void armKills(
            List<Integer> targets,
            CrashPoint point,
            Map<String, Object> extra,
            String noteWhat,
            String noneWhat,
            String effectWhat,
            Consumer<Completion> done) {
        List<Integer> armed = new ArrayList<>();
        Map<String, Object> crashed = new LinkedHashMap<>();
        for (int id : targets) {
            SimNode n = sim.node(id);
            if (!n.up) {
                continue;
            }
            armed.add(id);
            long armedAt = sim.loop.nowNanos();
            point.arm(n.disk, () -> {
                long[] lost = n.crash();
                sim.killedByNemesis.add(id);
                onKilled.accept(id);
                if (lost != null) {
                    Map<String, Object> evidence = new LinkedHashMap<>();
                    evidence.put("ms-after-arming", (sim.loop.nowNanos() - armedAt) / MS);
                    evidence.putAll(extra);
                    evidence.put("unsynced-writes-lost", lost[0]);
                    evidence.put("writes-torn", lost[1]);
                    crashed.put(String.valueOf(id), evidence);
                    sim.note(noteWhat + ": node " + id + " " + evidence);
                }
            });
        }
        if (armed.isEmpty()) {
            sim.loop.at(
                    0,
                    SimLoop.NEMESIS,
                    0,
                    () -> done.accept(new Completion(
                            OpType.INFO,
                            FaultOps.noEffect("every target was already down", "targets", targets),
                            null)));
            return;
        }
        sim.loop.at(FSYNC_KILL_WAIT_NANOS, SimLoop.NEMESIS, 0, () -> {
            for (int id : armed) {
                point.disarm(sim.node(id).disk);
            }
            Object r = crashed.isEmpty()
                    ? FaultOps.noEffect(noneWhat + " within " + FSYNC_KILL_WAIT_NANOS / MS + " ms", "targets", armed)
                    : FaultOps.effect(effectWhat, "nodes", new ArrayList<>(crashed.keySet()), "crashes", crashed);
            done.accept(new Completion(OpType.INFO, r, null));
        });
    }

    /** How long a leadership transfer is given to complete before its outcome is reported as pending. */
    private static final long TRANSFER_WAIT_NANOS = 1_000 * MS;

    /** The leader hands over to another voter that is up; the completion says whether it took over. */
    void transferLeader(Consumer<Completion> done) {
        int from = sim.leader();
        List<Integer> others = new ArrayList<>();
        for (int id : sim.nodes()) {
            if (id != from && sim.node(id).up) {
                others.add(id);
            }
        }
        if (from < 0 || others.isEmpty()) {
            sim.loop.at(
                    0,
                    SimLoop.NEMESIS,
                    0,
                    () -> done.accept(new Completion(
                            OpType.INFO,
                            FaultOps.noEffect(from < 0 ? "no leader to hand over from" : "no other voter is up"),
                            null)));
            return;
        }
        int to = others.get(random.nextInt(others.size()));
        sim.transfersAsked++; // a deliberate election: the liveness monitor starts a new stable period
        boolean[] reported = {false};
        Consumer<Object> report = r -> {
            if (!reported[0]) {
                reported[0] = true;
                sim.note("transfer-leader " + from + " -> " + to + ": " + r);
                done.accept(new Completion(OpType.INFO, r, null));
            }
        };
        long startedAt = sim.loop.nowNanos();
        // Asked by the simulation's operator over the client port, of the leader it believes in (redirects
        // followed); it gives up at the wait, reported then as a transfer still under way.
        OperatorCore.Limits limits = new OperatorCore.Limits(TRANSFER_WAIT_NANOS, TRANSFER_WAIT_NANOS, 8);
        operator.transferLeadership(
                to,
                from,
                limits,
                answer -> sim.loop.at(0, SimLoop.NEMESIS, 0, () -> {
                    if (answer.ok()) {
                        report.accept(FaultOps.effect(
                                "leadership handed over",
                                "from",
                                from,
                                "to",
                                to,
                                "ms",
                                (sim.loop.nowNanos() - startedAt) / MS));
                    } else if (answer.requestId() != 0) {
                        report.accept(FaultOps.effect(
                                "transfer asked, not completed: " + answer.message(), "from", from, "to", to));
                    } else {
                        report.accept(FaultOps.effect(
                                "transfer asked, still under way after " + TRANSFER_WAIT_NANOS / MS + " ms",
                                "from",
                                from,
                                "to",
                                to,
                                "operator",
                                answer.message()));
                    }
                }));
    }

    /** How long a kill inside an fsync waits for its targets to begin one. */
    private static final long FSYNC_KILL_WAIT_NANOS = 200 * MS;
}
