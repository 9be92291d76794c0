package dev.linden.realenv;

import dev.linden.checker.history.OpType;
import dev.linden.kvnode.net.Wire;
import dev.linden.nemesis.DiskFault;
import dev.linden.nemesis.Fault;
import dev.linden.nemesis.FaultOps;
import dev.linden.nemesis.HostileFault;
import dev.linden.nemesis.Nemesis;
import dev.linden.nemesis.Nemesis.Answer;
import dev.linden.nemesis.Targets;
import dev.linden.workloads.Completion;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The nemesis of {@link LocalTestCluster}: each {@link Fault} as link-proxy or iptables rules
 * ({@link LocalLinkFaults}), signals, files and libfaketime control files ({@link LocalNodeFaults}), a stopped
 * node's damaged data dir ({@link LocalDiskDamage}), a membership change ({@link LocalMembership}) or an attack
 * by the harness ({@link HostileAttacks}), each answered with what it did. Completions go through the cluster's
 * scheduler, never from inside {@link #invoke}.
 */
final class LocalNemesis implements Nemesis, Fault.Handler<Answer> {
    /**
     * Why {@code start-fsync-stall} changes nothing on real processes (its stop then has nothing to undo): said in
     * the history, as for any fault a binding cannot inject.
     */
    static final String NO_FSYNC_STALL = "stalling a real process's fsync needs a delaying block device "
            + "(device-mapper's delay target) under its data dir; this binding has none";

    private final LocalTestCluster c;
    private final LocalLinkFaults links;
    private final LocalNodeFaults nodes;
    /** Kills a node, destroys part of its data dir, starts it again: lose-tail, lose-segments, restart-as-new. */
    private final LocalDiskDamage damage;

    /** The hostile faults: the harness attacks the nodes (issue 24). */
    private final HostileAttacks hostile;
    /** The kill at a leader change: the leader now, the next leader as soon as it is seen to have won. */
    private final LocalLeaderChangeKill leaderChangeKill;
    /** Aimed power cuts still waiting for their targets' next fsync (each at most CRASH_IN_FSYNC_WAIT_MILLIS). */
    private final List<Thread> powerCuts = new ArrayList<>();

    LocalNemesis(LocalTestCluster c) {
        this.c = c;
        this.links = new LocalLinkFaults(c);
        this.nodes = new LocalNodeFaults(c);
        this.damage = new LocalDiskDamage(c);
        this.hostile = new HostileAttacks(c);
        this.leaderChangeKill = new LocalLeaderChangeKill(c, nodes);
        c.hostile = hostile;
    }

    @Override
    public void setup() {}

    @Override
    public void teardown() {
        hostile.close();
    }

    @Override
    public void invoke(Fault fault, Consumer<Completion> done) {
        Answer answer = fault.accept(this);
        if (answer instanceof Answer.Later later) {
            later.task().accept(done);
            return;
        }
        Object r = ((Answer.Now) answer).evidence();
        c.scheduler.schedule(0, () -> done.accept(new Completion(OpType.INFO, r, null)));
    }

    /** Evidence that may fail on I/O; a failure is the fault's answer ({@code no-effect}, saying what failed). */
    private interface Io {
        Object run() throws IOException;
    }

    private static Answer io(Io work) {
        return Answer.now(evidence(work));
    }

    /** What {@code work} did, or {@code no-effect} saying what failed. */
    private static Object evidence(Io work) {
        try {
            return work.run();
        } catch (IOException | RuntimeException e) {
            return FaultOps.noEffect("failed: " + e);
        }
    }

    private List<Integer> targets(String spec) {
        if (Targets.UP_TO_DATE_FOLLOWER.equals(spec)) {
            // Progress as the nodes report it: a follower's commit index trails its log by a heartbeat at most.
            Map<Integer, Long> progress = new TreeMap<>();
            c.status(true).forEach((id, s) -> progress.put(id, Math.max(s.commitIndex(), s.appliedIndex())));
            int id = Targets.upToDateFollower(progress, c.leader(false), c.random);
            if (id > 0) {
                return List.of(id);
            }
            spec = "one";
        }
        return Targets.resolve(spec, c.nodes(), c.leader(true), c.random);
    }

    private int target(String spec) {
        return targets(spec).get(0);
    }

    // ------------------------------------------------------------------ network

    public Answer startPartition(Fault.StartPartition f) {
        return io(() -> links.partition(f.shape()));
    }

    public Answer stopPartition(Fault.StopPartition f) {
        return io(links::stopPartition);
    }

    public Answer startClog(Fault.StartClog f) {
        return io(() -> links.startClog(() -> targets(f.targets())));
    }

    public Answer startLoss(Fault.StartLoss f) {
        return io(() -> links.startLoss(f.rate()));
    }

    public Answer startCorrupt(Fault.StartCorrupt f) {
        return io(() -> links.startCorrupt(f.rate()));
    }

    public Answer startDuplicate(Fault.StartDuplicate f) {
        return io(() -> links.startDuplicate(f.rate()));
    }

    public Answer startReorder(Fault.StartReorder f) {
        return io(() -> links.startReorder(f.jitterMicros()));
    }

    public Answer stopLink(Fault.StopLink f) {
        return io(() -> links.stopLink(f.link()));
    }

    // ------------------------------------------------------------------ processes, clocks, membership

    /**
     * At once, unless at a leader change ({@link LocalLeaderChangeKill}) or in an fsync: a power cut in the targets'
     * next fsync, for nodes that hold their writes until synced (every kill is, with power-cut kills).
     */
    public Answer kill(Fault.Kill f) {
        if (f.during() == Fault.CrashPoint.LEADER_CHANGE) {
            return Answer.later(done -> leaderChangeKill.arm(f.targets(), done));
        }
        boolean aimed = f.during() == Fault.CrashPoint.FSYNC || c.options.node().powerCutKills();
        if (aimed && c.options.node().loseUnsyncedWrites() && !c.options.containers()) {
            // Waited for on a thread of its own: waited for here, it held up the run (clients and all) for the
            // wait, so the targets went idle, began no fsync, and nearly every aimed cut ended as a SIGKILL.
            List<Integer> targets = targets(f.targets());
            return Answer.later(done -> {
                Thread t = new Thread(
                        () -> {
                            Object r = evidence(() -> nodes.crashInFsync(targets));
                            c.scheduler.schedule(0, () -> done.accept(new Completion(OpType.INFO, r, null)));
                        },
                        "linden-power-cut");
                t.setDaemon(true);
                synchronized (powerCuts) {
                    powerCuts.removeIf(old -> !old.isAlive());
                    powerCuts.add(t);
                }
                t.start();
            });
        }
        return io(() -> nodes.kill(targets(f.targets())));
    }

    public Answer start(Fault.Start f) {
        return io(nodes::startKilled);
    }

    public Answer pause(Fault.Pause f) {
        return io(() -> nodes.pause(targets(f.targets())));
    }

    public Answer resume(Fault.Resume f) {
        return io(nodes::resume);
    }

    /**
     * With {@code isolate}, the target is cut off from its peers once libfaketime has read its new rate
     * ({@link FakeClocks#RATE_READ_MILLIS}): cut at once, a node at normal speed would step down first.
     */
    public Answer startClock(Fault.StartClock f) {
        if (!f.isolate()) {
            return io(() -> nodes.startClock(f.changes(targets(f.targets()), c.nodes())));
        }
        return Answer.later(done -> {
            List<Integer> targets = targets(f.targets());
            Object clocks = evidence(() -> nodes.startClock(f.changes(targets, c.nodes())));
            isolatedByClock = true;
            c.scheduler.schedule(TimeUnit.MILLISECONDS.toNanos(FakeClocks.RATE_READ_MILLIS), () -> {
                Object cut = isolatedByClock // a heal meanwhile (the run's end) has set the clocks right
                        ? evidence(() -> links.isolate(targets.get(0)))
                        : FaultOps.noEffect("healed before the cut");
                done.accept(new Completion(OpType.INFO, FaultOps.joined(clocks, "isolated", cut), null));
            });
        });
    }

    public Answer stopClock(Fault.StopClock f) {
        return io(() -> {
            Object clocks = nodes.stopClock();
            if (!isolatedByClock) {
                return clocks;
            }
            isolatedByClock = false;
            return FaultOps.joined(clocks, "reconnected", links.stopPartition());
        });
    }

    /** A stale leader's cut is in force (or about to be): the clock fault's stop heals it (read by the timer). */
    private volatile boolean isolatedByClock;

    public Answer transferLeader(Fault.TransferLeader f) {
        return io(this::transferLeader);
    }

    public Answer replaceNode(Fault.ReplaceNode f) {
        return io(() -> c.membership.replace(f.remove()));
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

    // ------------------------------------------------------------------ disks

    public Answer startDiskFull(DiskFault.StartDiskFull f) {
        return io(() -> nodes.fillDisks(targets(f.targets())));
    }

    public Answer stopDiskFull(DiskFault.StopDiskFull f) {
        return io(nodes::emptyDisks);
    }

    public Answer startFsyncStall(DiskFault.StartFsyncStall f) {
        return Answer.now(FaultOps.noEffect(NO_FSYNC_STALL));
    }

    public Answer stopFsyncStall(DiskFault.StopFsyncStall f) {
        return Answer.now(FaultOps.noEffect("no fsync was stalled"));
    }

    public Answer bitflip(DiskFault.Bitflip f) {
        return io(() -> nodes.bitflip(target(f.targets())));
    }

    public Answer wipeDisk(DiskFault.WipeDisk f) {
        return io(() -> nodes.wipe(target(f.targets())));
    }

    public Answer loseTail(DiskFault.LoseTail f) {
        return io(() -> damage.loseTail(target(f.targets()), (int) f.records(), f.insideRecord()));
    }

    public Answer loseSegments(DiskFault.LoseSegments f) {
        return io(() -> damage.loseSegments(target(f.targets())));
    }

    public Answer restartAsNew(DiskFault.RestartAsNew f) {
        return io(() -> damage.restartAsNew(target(f.targets())));
    }

    // ------------------------------------------------------------------ hostile: on the attack thread

    public Answer startAnswerFlood(HostileFault.StartAnswerFlood f) {
        return hostile.answerFlood(f);
    }

    public Answer startClientConnFlood(HostileFault.StartClientConnFlood f) {
        return hostile.clientConnFlood(f);
    }

    public Answer startPeerConnFlood(HostileFault.StartPeerConnFlood f) {
        return hostile.peerConnFlood(f);
    }

    public Answer startHalfFrames(HostileFault.StartHalfFrames f) {
        return hostile.halfFrames(f);
    }

    public Answer startForgedPeer(HostileFault.StartForgedPeer f) {
        return hostile.forgedPeer(f);
    }

    public Answer rogueOperator(HostileFault.RogueOperator f) {
        return hostile.rogueOperator(f);
    }

    public Answer stopAttack(HostileFault.StopAttack f) {
        return hostile.stop(f.attack());
    }

    @Override
    public void heal(Consumer<Completion> done) {
        List<String> undone = new ArrayList<>();
        leaderChangeKill.disarm();
        // An aimed power cut still waiting would halt or SIGKILL its targets after the heal restarted them: it
        // ends first (within its wait), and the heal then starts what it killed.
        if (awaitPowerCuts()) {
            undone.add("waited for an aimed power cut to end");
        }
        isolatedByClock = false;
        links.heal(undone);
        for (String stopped : hostile.stopAll()) {
            undone.add("hostile " + stopped);
        }
        Object r;
        try {
            if (nodes.clocksFaulted()) {
                undone.add("clock rates of " + nodes.faultedClocks());
                nodes.stopClock();
            }
            if (!c.disks.full.isEmpty()) {
                undone.add("full disks of " + c.disks.full);
                nodes.emptyDisks();
            }
            Object resumed = nodes.resume();
            if (effective(resumed)) {
                undone.add("resumed");
            }
            Object startedNodes = nodes.startKilled();
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

    /** Waits for the aimed power cuts still running; true if there was one. */
    private boolean awaitPowerCuts() {
        List<Thread> running;
        synchronized (powerCuts) {
            running = new ArrayList<>(powerCuts);
            powerCuts.clear();
        }
        running.removeIf(t -> !t.isAlive());
        for (Thread t : running) {
            try {
                t.join(LocalNodeFaults.CRASH_IN_FSYNC_WAIT_MILLIS + 1_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return !running.isEmpty();
    }

    /** Whether a fault result says it had an effect. */
    private static boolean effective(Object result) {
        return result instanceof Map<?, ?> m && m.get("effect") != null;
    }
}
