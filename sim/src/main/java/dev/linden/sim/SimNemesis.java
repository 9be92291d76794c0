package dev.linden.sim;

import dev.linden.checker.history.OpType;
import dev.linden.nemesis.DiskFault;
import dev.linden.nemesis.Fault;
import dev.linden.nemesis.FaultOps;
import dev.linden.nemesis.HostileFault;
import dev.linden.nemesis.Nemesis;
import dev.linden.nemesis.Nemesis.Answer;
import dev.linden.nemesis.Targets;
import dev.linden.workloads.Completion;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * The nemesis bound to the simulator: each {@link Fault} acts on the simulated network ({@link SimNetworkFaults}),
 * processes and clocks ({@link SimNodeFaults}), disks ({@link SimDiskFaults}) and membership, and answers with what
 * it observably did, measured rather than assumed (messages a partition dropped, unsynced writes a kill lost, the
 * milliseconds a clock moved, writes a full disk refused). Faults that strike at a later event answer then
 * ({@link SimDeferredFaults}). Completions are delivered as loop events, never from inside {@link #invoke}.
 */
final class SimNemesis implements Nemesis, Fault.Handler<Answer> {
    private final Simulation sim;
    private final SplittableRandom random;
    private final SimNetworkFaults network;
    private final SimNodeFaults nodes;
    /** Faults that strike at a later event (an fsync, a disk operation, an election) and report then. */
    private final SimDeferredFaults deferred;
    /** Faults of the disks: full, slow, a flipped bit, replaced. */
    private final SimDiskFaults disks;
    /** Membership changes: a node replaced while serving. */
    private final SimMembershipFaults membership;
    /** The kill at a leader change: the leader now, the next leader the moment it has won. */
    private final SimLeaderChangeKill leaderChangeKill;

    private final SimRogueOperator rogue;

    SimNemesis(Simulation sim, SplittableRandom random) {
        this.sim = sim;
        this.random = random;
        this.network = new SimNetworkFaults(sim, random);
        this.nodes = new SimNodeFaults(sim, random);
        SimOperator operator = new SimOperator(sim); // one connection address, as one operator's client
        this.deferred = new SimDeferredFaults(sim, random, nodes::killed, operator);
        this.disks = new SimDiskFaults(sim, random);
        this.membership = new SimMembershipFaults(sim, random, operator);
        this.rogue = new SimRogueOperator(sim, new SimOperator(sim, SimOperator.ROGUE_ADDRESS));
        this.leaderChangeKill = new SimLeaderChangeKill(sim, random, nodes);
    }

    boolean clockFaulted(int id) {
        return nodes.clockFaulted(id);
    }

    /** A node became leader of {@code term}: an armed new-leader partition cuts it off now, an armed kill strikes. */
    void leaderElected(int id, long term) {
        network.leaderElected(id, term);
        leaderChangeKill.leaderElected(id, term);
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
    public void invoke(Fault fault, Consumer<Completion> done) {
        Answer answer;
        try {
            answer = fault.accept(this);
        } catch (IllegalArgumentException e) {
            answer = Answer.now(FaultOps.noEffect("failed: " + e.getMessage()));
        }
        if (answer instanceof Answer.Later later) {
            later.task().accept(done);
            return;
        }
        Object result = ((Answer.Now) answer).evidence();
        Map<String, Object> v = fault.value() == null ? Map.of() : fault.value();
        if (result instanceof Map<?, ?> m && m.get("effect") != null) {
            sim.note(fault.name() + " " + v + " -> " + m);
        } else {
            sim.note(fault.name() + " " + v + " -> no effect: " + result);
        }
        sim.loop.at(0, SimLoop.NEMESIS, 0, () -> done.accept(new Completion(OpType.INFO, result, null)));
    }

    @Override
    public void heal(Consumer<Completion> done) {
        List<String> undone = new ArrayList<>();
        leaderChangeKill.disarm();
        isolatedByClock = false;
        network.heal(undone);
        nodes.heal(undone);
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

    private List<Integer> targets(String spec) {
        if (Targets.UP_TO_DATE_FOLLOWER.equals(spec)) {
            int id = upToDateFollower();
            return id > 0 ? List.of(id) : Targets.resolve("one", sim.nodes(), sim.leader(), random);
        }
        return Targets.resolve(spec, sim.nodes(), sim.leader(), random);
    }

    private int target(String spec) {
        return targets(spec).get(0);
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

    public Answer startPartition(Fault.StartPartition f) {
        return Answer.now(network.startPartition(f.shape()));
    }

    public Answer stopPartition(Fault.StopPartition f) {
        return Answer.now(network.stopPartition());
    }

    public Answer startClog(Fault.StartClog f) {
        return Answer.now(network.startClog(() -> targets(f.targets())));
    }

    public Answer startLoss(Fault.StartLoss f) {
        return Answer.now(network.startLoss(f.rate()));
    }

    public Answer startCorrupt(Fault.StartCorrupt f) {
        return Answer.now(network.startCorrupt(f.rate()));
    }

    public Answer startDuplicate(Fault.StartDuplicate f) {
        return Answer.now(network.startDuplicate(f.rate()));
    }

    public Answer startReorder(Fault.StartReorder f) {
        return Answer.now(network.startReorder(f.jitterMicros()));
    }

    public Answer stopLink(Fault.StopLink f) {
        return Answer.now(network.stopLink(f.link()));
    }

    // ------------------------------------------------------------------ processes, clocks, membership

    public Answer kill(Fault.Kill f) {
        switch (f.during()) {
            case FSYNC: {
                List<Integer> targets = targets(f.targets());
                return Answer.later(done -> deferred.killDuringFsync(targets, done));
            }
            case DISK_OP: {
                List<Integer> targets = targets(f.targets());
                return Answer.later(done -> deferred.killAfterDiskOps(targets, f.afterOps(), done));
            }
            case LEADER_CHANGE:
                return Answer.later(done -> leaderChangeKill.arm(f.targets(), done));
            default:
                return Answer.now(nodes.kill(targets(f.targets())));
        }
    }

    public Answer start(Fault.Start f) {
        return Answer.now(nodes.startKilled());
    }

    public Answer pause(Fault.Pause f) {
        return Answer.now(nodes.pause(targets(f.targets())));
    }

    public Answer resume(Fault.Resume f) {
        return Answer.now(nodes.resume());
    }

    public Answer startClock(Fault.StartClock f) {
        List<Integer> targets = targets(f.targets());
        Object clocks = nodes.startClock(f.changes(targets, sim.nodes()));
        if (!f.isolate()) {
            return Answer.now(clocks);
        }
        isolatedByClock = true;
        return Answer.now(FaultOps.joined(clocks, "isolated", network.isolate(targets.get(0))));
    }

    public Answer stopClock(Fault.StopClock f) {
        Object clocks = nodes.stopClock();
        if (!isolatedByClock) {
            return Answer.now(clocks);
        }
        isolatedByClock = false;
        return Answer.now(FaultOps.joined(clocks, "reconnected", network.stopPartition()));
    }

    /** A stale leader's cut is in force: the clock fault's stop heals it. */
    private boolean isolatedByClock;

    public Answer transferLeader(Fault.TransferLeader f) {
        return Answer.later(deferred::transferLeader);
    }

    public Answer replaceNode(Fault.ReplaceNode f) {
        return Answer.later(done -> membership.replace(f.remove(), done));
    }

    // ------------------------------------------------------------------ disks

    public Answer startDiskFull(DiskFault.StartDiskFull f) {
        return Answer.now(disks.startDiskFull(targets(f.targets())));
    }

    public Answer stopDiskFull(DiskFault.StopDiskFull f) {
        return Answer.now(disks.stopDiskFull());
    }

    public Answer startFsyncStall(DiskFault.StartFsyncStall f) {
        return Answer.now(disks.startFsyncStall(targets(f.targets()), f.stallMillis()));
    }

    public Answer stopFsyncStall(DiskFault.StopFsyncStall f) {
        return Answer.now(disks.stopFsyncStall());
    }

    public Answer bitflip(DiskFault.Bitflip f) {
        return Answer.now(disks.bitflip(targets(f.targets())));
    }

    public Answer wipeDisk(DiskFault.WipeDisk f) {
        return Answer.now(disks.wipeDisk(targets(f.targets())));
    }

    public Answer loseTail(DiskFault.LoseTail f) {
        return Answer.now(disks.loseTail(target(f.targets()), (int) f.records(), f.insideRecord()));
    }

    public Answer loseSegments(DiskFault.LoseSegments f) {
        return Answer.now(disks.loseSegments(target(f.targets())));
    }

    public Answer restartAsNew(DiskFault.RestartAsNew f) {
        return Answer.now(disks.restartAsNew(target(f.targets())));
    }

    // ------------------------------------------------------------------ hostile (issue 24)

    /*
     * What most hostile faults exhaust or forge does not exist in the simulated world: each says so in the
     * history, as for any fault a binding cannot inject. A rogue operator is modelled: it asks over the client
     * port, as any client does.
     */

    public Answer startAnswerFlood(HostileFault.StartAnswerFlood f) {
        return Answer.now(FaultOps.noEffect("the simulator does not model a replica's heap: cached answers cannot "
                + "exhaust it (and its clients are the workload's, one request in flight each)"));
    }

    public Answer startClientConnFlood(HostileFault.StartClientConnFlood f) {
        return Answer.now(FaultOps.noEffect("simulated nodes have no client port, connections or connection limit"));
    }

    public Answer startPeerConnFlood(HostileFault.StartPeerConnFlood f) {
        return Answer.now(FaultOps.noEffect("simulated nodes have no sockets or file handles to exhaust"));
    }

    public Answer startHalfFrames(HostileFault.StartHalfFrames f) {
        return Answer.now(FaultOps.noEffect(
                "the simulated network delivers whole messages; there is no framing or Netty memory"));
    }

    public Answer startForgedPeer(HostileFault.StartForgedPeer f) {
        return Answer.now(FaultOps.noEffect("the simulated network delivers only what nodes send: there is no "
                + "peer port a stranger can dial, and no Hello to forge"));
    }

    public Answer rogueOperator(HostileFault.RogueOperator f) {
        return Answer.later(done -> rogue.ask(target(f.targets()), done));
    }

    public Answer stopAttack(HostileFault.StopAttack f) {
        return Answer.now(FaultOps.noEffect("nothing was started: the simulator does not model "
                + f.attack().text()));
    }
}
