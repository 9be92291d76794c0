package dev.linden.nemesis;

import dev.linden.workloads.gen.Op;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;

/**
 * One fault operation of the nemesis, typed: one record per operation, each handled by one method of a
 * {@link Handler}, so a world that binds the nemesis ({@code SimNemesis}, {@code LocalNemesis}) cannot forget
 * one: a fault it cannot inject is an explicit method answering {@code no-effect} and saying why.
 *
 * <p>Node specs ({@code targets}) are {@link Targets}' names (and {@link Targets#UP_TO_DATE_FOLLOWER}), resolved
 * to nodes by the binding when the fault is injected. In histories each fault is Jepsen's operation, a name
 * and a value map ({@link #name()}, {@link #value()}; {@link FaultHistory} reads them back): faults become maps
 * only there.
 */
public sealed interface Fault
        permits Fault.StartPartition,
                Fault.StopPartition,
                Fault.StartClog,
                Fault.StartLoss,
                Fault.StartCorrupt,
                Fault.StartDuplicate,
                Fault.StartReorder,
                Fault.StopLink,
                Fault.Kill,
                Fault.Start,
                Fault.Pause,
                Fault.Resume,
                Fault.StartClock,
                Fault.StopClock,
                Fault.TransferLeader,
                Fault.ReplaceNode,
                DiskFault,
                HostileFault {
    <R> R accept(Handler<R> h);

    /** The operation's name in histories ({@code :f}). */
    default String name() {
        return accept(FaultHistory.NAME);
    }

    /** The operation's value in histories: a map in a fixed key order (histories are compared), or null. */
    default Map<String, Object> value() {
        return accept(FaultHistory.VALUE);
    }

    /** This fault as a nemesis operation template for a generator. */
    default Op op() {
        return Op.fault(name(), this);
    }

    /** The fault a nemesis operation carries. */
    static Fault of(Op op) {
        if (!(op.value() instanceof Fault f)) {
            throw new IllegalArgumentException("a nemesis operation carries a Fault, not " + op.value());
        }
        return f;
    }

    /** One method per fault: what a world does with each. */
    interface Handler<R> {
        R startPartition(StartPartition f);

        R stopPartition(StopPartition f);

        R startClog(StartClog f);

        R startLoss(StartLoss f);

        R startCorrupt(StartCorrupt f);

        R startDuplicate(StartDuplicate f);

        R startReorder(StartReorder f);

        R stopLink(StopLink f);

        R kill(Kill f);

        R start(Start f);

        R pause(Pause f);

        R resume(Resume f);

        R startClock(StartClock f);

        R stopClock(StopClock f);

        R transferLeader(TransferLeader f);

        R replaceNode(ReplaceNode f);

        R startDiskFull(DiskFault.StartDiskFull f);

        R stopDiskFull(DiskFault.StopDiskFull f);

        R startFsyncStall(DiskFault.StartFsyncStall f);

        R stopFsyncStall(DiskFault.StopFsyncStall f);

        R bitflip(DiskFault.Bitflip f);

        R wipeDisk(DiskFault.WipeDisk f);

        R loseTail(DiskFault.LoseTail f);

        R loseSegments(DiskFault.LoseSegments f);

        R restartAsNew(DiskFault.RestartAsNew f);

        R startAnswerFlood(HostileFault.StartAnswerFlood f);

        R startClientConnFlood(HostileFault.StartClientConnFlood f);

        R startPeerConnFlood(HostileFault.StartPeerConnFlood f);

        R startHalfFrames(HostileFault.StartHalfFrames f);

        R startForgedPeer(HostileFault.StartForgedPeer f);

        R rogueOperator(HostileFault.RogueOperator f);

        R stopAttack(HostileFault.StopAttack f);
    }

    // ------------------------------------------------------------------ network

    /** The links a {@link Grudges} shape names drop every message; {@code holdLong}: a long partition. */
    record StartPartition(String shape, boolean holdLong) implements Fault {
        public StartPartition {
            FaultHistory.oneOf("shape", shape, Grudges.SHAPES);
        }

        public <R> R accept(Handler<R> h) {
            return h.startPartition(this);
        }
    }

    /** Every link carries messages again. */
    record StopPartition() implements Fault {
        public <R> R accept(Handler<R> h) {
            return h.stopPartition(this);
        }
    }

    /** How a link misbehaves, as histories name it ({@code "behavior"}); in the order of those names. */
    enum Link {
        CLOG,
        CORRUPT,
        DUPLICATE,
        LOSS,
        REORDER;

        public String text() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The targets' links become very slow. */
    record StartClog(String targets) implements Fault {
        public StartClog {
            Targets.check(targets);
        }

        public <R> R accept(Handler<R> h) {
            return h.startClog(this);
        }
    }

    /** Messages are lost at {@code rate} (0 to 1). */
    record StartLoss(double rate) implements Fault {
        public StartLoss {
            FaultHistory.rate(rate);
        }

        public <R> R accept(Handler<R> h) {
            return h.startLoss(this);
        }
    }

    /**
     * Frames are damaged on the way at {@code rate} (0 to 1): a bit flipped inside, a byte added or cut, the
     * magic broken. Every damaged frame must be refused by the receiver (dropped, its connection closed), never
     * read as another message.
     */
    record StartCorrupt(double rate) implements Fault {
        public StartCorrupt {
            FaultHistory.rate(rate);
        }

        public <R> R accept(Handler<R> h) {
            return h.startCorrupt(this);
        }
    }

    /** Messages are delivered twice at {@code rate} (0 to 1). */
    record StartDuplicate(double rate) implements Fault {
        public StartDuplicate {
            FaultHistory.rate(rate);
        }

        public <R> R accept(Handler<R> h) {
            return h.startDuplicate(this);
        }
    }

    /** Messages are delayed by up to {@code jitterMicros} each, so they arrive out of order. */
    record StartReorder(long jitterMicros) implements Fault {
        public <R> R accept(Handler<R> h) {
            return h.startReorder(this);
        }
    }

    /** The links behave again as to {@code link}. */
    record StopLink(Link link) implements Fault {
        public <R> R accept(Handler<R> h) {
            return h.stopLink(this);
        }
    }

    // ------------------------------------------------------------------ processes, clocks, membership

    /**
     * Where a kill strikes: at once, inside the targets' next fsync, right after their k-th disk operation, or at a
     * leader change ({@link #LEADER_CHANGE}).
     */
    enum CrashPoint {
        NOW,
        FSYNC,
        DISK_OP,
        /**
         * The leader is killed at once, and the targets right after the next leader is elected, resolved then
         * ({@code leader}: the new leader, the moment it has won; {@code one}: any node, often a voter whose vote
         * was just made durable). The new leader's first entry, its no-op, then sits on a minority, and the old
         * leader comes back with entries of its term that were never committed: what the commit rule, the log
         * check of a vote and the truncation of conflicting entries are for. A binding that hears of elections
         * late (a real process's status) kills as soon as it hears.
         */
        LEADER_CHANGE;

        public String text() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /**
     * Processes killed (unsynced writes lost) at {@code during}; {@code afterOps} counts the disk operations
     * before a {@link CrashPoint#DISK_OP} kill (0 otherwise). A binding that cannot aim inside I/O kills at once.
     */
    record Kill(String targets, CrashPoint during, long afterOps) implements Fault {
        public Kill {
            Targets.check(targets);
            if ((during == CrashPoint.DISK_OP) != (afterOps >= 1)) {
                throw new IllegalArgumentException("after-ops " + afterOps + " with a kill " + during.text());
            }
        }

        public Kill(String targets) {
            this(targets, CrashPoint.NOW, 0);
        }

        public <R> R accept(Handler<R> h) {
            return h.kill(this);
        }
    }

    /** Every node the nemesis killed is started again (histories say {@code targets all}). */
    record Start() implements Fault {
        public <R> R accept(Handler<R> h) {
            return h.start(this);
        }
    }

    /** Processes stop running (SIGSTOP, a long pause). */
    record Pause(String targets) implements Fault {
        public Pause {
            Targets.check(targets);
        }

        public <R> R accept(Handler<R> h) {
            return h.pause(this);
        }
    }

    /** Every paused node runs again. */
    record Resume() implements Fault {
        public <R> R accept(Handler<R> h) {
            return h.resume(this);
        }
    }

    /** Clocks of {@code nodes} moved by {@code offsetMillis} and set to run {@code driftPpm} fast or slow. */
    record ClockChange(List<Integer> nodes, long offsetMillis, long driftPpm) {}

    /**
     * The targets' clocks jump by {@code offsetMillis} and drift by {@code driftPpm}; if {@code othersDriftPpm}
     * is present, every other node's clock drifts by it (no jump): a skew against the targets. With {@code
     * isolate} (one target), the target is also cut off from its peers, not from clients, until the clocks are
     * set right: a stale leader, whose slow clock keeps it leading (and leasing) long after the others have
     * elected another, while clients still reach it.
     */
    record StartClock(String targets, long offsetMillis, long driftPpm, OptionalLong othersDriftPpm, boolean isolate)
            implements Fault {
        public StartClock {
            Targets.check(targets);
            if (isolate && !targets.equals("leader") && !targets.equals("one")) {
                throw new IllegalArgumentException("a clock fault isolates one node (leader or one), not " + targets);
            }
        }

        public StartClock(String targets, long offsetMillis, long driftPpm, OptionalLong othersDriftPpm) {
            this(targets, offsetMillis, driftPpm, othersDriftPpm, false);
        }

        public StartClock(String targets, long offsetMillis, long driftPpm) {
            this(targets, offsetMillis, driftPpm, OptionalLong.empty(), false);
        }

        /**
         * The clock changes, in order, given the targets resolved and every node: the targets' first (whose
         * evidence is the fault's), then the others' if asked.
         */
        public List<ClockChange> changes(List<Integer> targetNodes, List<Integer> nodes) {
            List<ClockChange> out = new ArrayList<>();
            out.add(new ClockChange(List.copyOf(targetNodes), offsetMillis, driftPpm));
            if (othersDriftPpm.isPresent()) {
                List<Integer> others = new ArrayList<>(nodes);
                others.removeAll(targetNodes);
                out.add(new ClockChange(others, 0, othersDriftPpm.getAsLong()));
            }
            return out;
        }

        public <R> R accept(Handler<R> h) {
            return h.startClock(this);
        }
    }

    /** Every faulted clock runs at a normal rate again (and a node a clock fault isolated is reconnected). */
    record StopClock() implements Fault {
        public <R> R accept(Handler<R> h) {
            return h.stopClock(this);
        }
    }

    /** The leader hands leadership to another voter, chosen at random. */
    record TransferLeader() implements Fault {
        public <R> R accept(Handler<R> h) {
            return h.transferLeader(this);
        }
    }

    /** A fresh node joins and a voter ({@code remove}: {@code leader} or {@code one}) leaves, then stops. */
    record ReplaceNode(String remove) implements Fault {
        public ReplaceNode {
            FaultHistory.oneOf("remove", remove, List.of("leader", "one"));
        }

        public <R> R accept(Handler<R> h) {
            return h.replaceNode(this);
        }
    }
}
