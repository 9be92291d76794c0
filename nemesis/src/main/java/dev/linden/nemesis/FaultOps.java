package dev.linden.nemesis;

import dev.linden.nemesis.DiskFault.Bitflip;
import dev.linden.nemesis.DiskFault.LoseSegments;
import dev.linden.nemesis.DiskFault.LoseTail;
import dev.linden.nemesis.DiskFault.RestartAsNew;
import dev.linden.nemesis.DiskFault.StartDiskFull;
import dev.linden.nemesis.DiskFault.StartFsyncStall;
import dev.linden.nemesis.DiskFault.StopDiskFull;
import dev.linden.nemesis.DiskFault.StopFsyncStall;
import dev.linden.nemesis.DiskFault.WipeDisk;
import dev.linden.nemesis.Fault.CrashPoint;
import dev.linden.nemesis.Fault.Kill;
import dev.linden.nemesis.Fault.Link;
import dev.linden.nemesis.Fault.Pause;
import dev.linden.nemesis.Fault.ReplaceNode;
import dev.linden.nemesis.Fault.Resume;
import dev.linden.nemesis.Fault.Start;
import dev.linden.nemesis.Fault.StartClock;
import dev.linden.nemesis.Fault.StartClog;
import dev.linden.nemesis.Fault.StartCorrupt;
import dev.linden.nemesis.Fault.StartDuplicate;
import dev.linden.nemesis.Fault.StartLoss;
import dev.linden.nemesis.Fault.StartPartition;
import dev.linden.nemesis.Fault.StartReorder;
import dev.linden.nemesis.Fault.StopClock;
import dev.linden.nemesis.Fault.StopLink;
import dev.linden.nemesis.Fault.StopPartition;
import dev.linden.nemesis.Fault.TransferLeader;
import dev.linden.nemesis.HostileFault.Attack;
import dev.linden.nemesis.HostileFault.StartAnswerFlood;
import dev.linden.nemesis.HostileFault.StartClientConnFlood;
import dev.linden.nemesis.HostileFault.StartForgedPeer;
import dev.linden.nemesis.HostileFault.StartHalfFrames;
import dev.linden.nemesis.HostileFault.StartPeerConnFlood;
import dev.linden.nemesis.HostileFault.StopAttack;
import dev.linden.workloads.gen.Op;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.SplittableRandom;

/**
 * Draws the {@link Fault} that starts a fault of a {@link FaultKind} (its parameters from a seeded random source,
 * in a fixed order: the same seed draws the same faults) and names the one that ends it; and builds the evidence
 * bindings answer with ({@link #effect}, {@link #noEffect}).
 */
public final class FaultOps {
    private FaultOps() {}

    /** The final phase's undo-everything operation ({@link Nemesis#heal}). */
    public static final String HEAL = "heal";
    /** Most records {@code lose-tail} asks to cut (fewer if the last segment holds fewer). */
    public static final int MAX_TAIL_RECORDS_LOST = 100;
    /** An answer flood's calls and value: a thousand answers of 1 MiB each, what a replica's session cache keeps. */
    public static final int ANSWER_FLOOD_CALLS = 1_000;

    public static final int ANSWER_FLOOD_VALUE_BYTES = 1 << 20;
    /** Just past the client port's default of 1,024 connections at once. */
    public static final int CLIENT_CONNECTIONS_PER_NODE = 1_100;
    /** Asked per target; a binding caps it by the file handles it can spend (its own and its helpers'). */
    public static final int PEER_CONNECTIONS_PER_NODE = 24_000;
    /** Nine frames of 16 MiB exceed the 128 MiB of Netty memory a node is given. */
    public static final int HALF_FRAMES_PER_NODE = 9;
    /** Sixty-four of 2 MiB on a client port: its whole in-flight request budget, and Netty's memory. */
    public static final int HALF_FRAMES_PER_NODE_CLIENT_PORT = 64;

    /**
     * Whom a disk-damage fault hits: usually the most up-to-date follower (the dangerous case: it holds
     * acknowledged entries a lagging node may not), sometimes any one node.
     */
    private static String damageTarget(SplittableRandom r) {
        return r.nextInt(4) == 0 ? "one" : Targets.UP_TO_DATE_FOLLOWER;
    }

    /** The fault that starts a fault of {@code kind}, its parameters drawn from {@code r}. */
    public static Fault start(FaultKind kind, SplittableRandom r, int nodeCount) {
        return switch (kind) {
            case PARTITION -> partition(r, nodeCount);
            case LONG_PARTITION -> longPartition(r, nodeCount);
            case KILL -> kill(r);
            case LEADER_CHANGE_KILL -> new Kill(r.nextInt(3) == 0 ? "one" : "leader", CrashPoint.LEADER_CHANGE, 0);
            case PAUSE -> new Pause(r.nextInt(3) == 0 ? "leader" : r.nextInt(4) == 0 ? "minority" : "one");
            case CLOCK -> clock(r);
            case STALE_LEADER -> staleLeader();
            case DISK_FULL -> new StartDiskFull("one");
            case FSYNC_STALL -> new StartFsyncStall(r.nextBoolean() ? "leader" : "one", 200L + r.nextInt(2_800));
            case BITFLIP -> new Bitflip("one");
            case WIPE_DISK -> new WipeDisk("one");
            case LOSE_TAIL -> loseTail(r);
            case LOSE_SEGMENTS -> new LoseSegments(damageTarget(r));
            case RESTART_AS_NEW -> new RestartAsNew(damageTarget(r));
            case TRANSFER_LEADER -> new TransferLeader();
            case REPLACE_NODE -> new ReplaceNode(r.nextInt(3) == 0 ? "leader" : "one");
            case CLOG -> new StartClog("one");
            case LOSS -> new StartLoss(rate(r));
            case CORRUPT -> new StartCorrupt(Math.round(rate(r) * 100) / 1000.0); // at most a few frames in 100
            case DUPLICATE -> new StartDuplicate(rate(r));
            case REORDER -> new StartReorder(200L + r.nextInt(20_000));
            default -> hostile(kind, r);
        };
    }

    private static Fault loseTail(SplittableRandom r) {
        String targets = damageTarget(r);
        long records = 1L + r.nextInt(MAX_TAIL_RECORDS_LOST);
        boolean atBoundary = r.nextBoolean();
        return new LoseTail(targets, records, !atBoundary);
    }

    private static Fault partition(SplittableRandom r, int nodeCount) {
        List<String> shapes = new ArrayList<>(Grudges.SHAPES);
        if (nodeCount < 5) {
            shapes.remove("majorities-ring"); // with 3 nodes it is a plain split
        }
        return new StartPartition(shapes.get(r.nextInt(shapes.size())), false);
    }

    private static Fault longPartition(SplittableRandom r, int nodeCount) {
        List<String> partial = new ArrayList<>(List.of("bridge", "one-way", "deaf", "one"));
        if (nodeCount >= 5) {
            partial.add("majorities-ring");
        }
        return new StartPartition(partial.get(r.nextInt(partial.size())), true);
    }

    private static Fault kill(SplittableRandom r) {
        // Usually one node; sometimes a minority, a majority, everyone, or the leader.
        int roll = r.nextInt(10);
        String targets = roll < 5 ? "one" : roll < 7 ? "leader" : roll < 8 ? "minority" : roll < 9 ? "majority" : "all";
        int inside = r.nextInt(6);
        if (inside < 2) {
            // A crash point inside I/O: the targets die in the middle of their next fsync (bindings that cannot
            // aim that finely kill at once).
            return new Kill(targets, CrashPoint.FSYNC, 0);
        }
        if (inside == 2) {
            // ... or right after their k-th disk operation from now (a write, a sync, a create, a rename, a
            // delete), before the next one: between a write and its sync, a rename and the directory's sync.
            return new Kill(targets, CrashPoint.DISK_OP, 1L + r.nextInt(12));
        }
        return new Kill(targets);
    }

    private static Fault clock(SplittableRandom r) {
        if (r.nextInt(4) == 0) {
            // Skew against the leader: its clock at half speed, everyone else's at one and a half (a VM's clock
            // gone wrong; the worst a read lease must survive: the leader's lease lasts longest while its
            // voters' election timeouts run out soonest, three times as fast).
            return new StartClock("leader", 0L, -500_000L, OptionalLong.of(500_000L));
        }
        int roll = r.nextInt(4);
        String targets = roll == 0 ? "minority" : roll == 1 ? "leader" : "one";
        long offsetMillis = (r.nextBoolean() ? 1L : -1L) * (50 + r.nextInt(3000));
        // Up to 5% fast or slow, sometimes 10%: what a lease's drift bound must cover.
        long driftPpm = (r.nextBoolean() ? 1L : -1L) * r.nextInt(r.nextInt(4) == 0 ? 100_000 : 50_000);
        return new StartClock(targets, offsetMillis, driftPpm);
    }

    /**
     * The leader at half speed and cut off from its peers, the others at one and a half: its check-quorum and its
     * lease run three times slower than their election timeouts.
     */
    private static Fault staleLeader() {
        return new StartClock("leader", 0L, -500_000L, OptionalLong.of(500_000L), true);
    }

    private static double rate(SplittableRandom r) {
        return Math.round((0.02 + r.nextDouble() * 0.2) * 1000) / 1000.0;
    }

    private static Fault hostile(FaultKind kind, SplittableRandom r) {
        switch (kind) {
            case ANSWER_FLOOD:
                return new StartAnswerFlood(ANSWER_FLOOD_CALLS, ANSWER_FLOOD_VALUE_BYTES);
            case CLIENT_CONN_FLOOD:
                // Every node: a client turned away by one would try another.
                return new StartClientConnFlood("all", CLIENT_CONNECTIONS_PER_NODE);
            case PEER_CONN_FLOOD:
                return new StartPeerConnFlood(r.nextInt(3) == 0 ? "one" : "followers", PEER_CONNECTIONS_PER_NODE);
            case HALF_FRAMES: {
                boolean peer = r.nextBoolean();
                String targets = r.nextBoolean() ? "all" : "leader";
                // Just under each port's frame limit: the largest frame a node agrees to buffer.
                return new StartHalfFrames(
                        peer ? "peer" : "client",
                        targets,
                        peer ? HALF_FRAMES_PER_NODE : HALF_FRAMES_PER_NODE_CLIENT_PORT,
                        peer ? (16 << 20) - 4096 : (2 << 20));
            }
            case FORGED_PEER:
                // A stranger (plain TCP), or an ordinary client's certificate claiming to be a node.
                return new StartForgedPeer(r.nextBoolean() ? "none" : "client", 1_000L);
            case ROGUE_OPERATOR:
                // Against the leader (it would act) or a follower (it would redirect to the leader).
                return new HostileFault.RogueOperator(r.nextBoolean() ? "leader" : "one");
            default:
                throw new IllegalArgumentException("no start operation for " + kind);
        }
    }

    /** The fault that ends a fault of {@code kind}, or null if the fault ends by itself. */
    public static Fault stop(FaultKind kind) {
        return switch (kind) {
            case PARTITION, LONG_PARTITION -> new StopPartition();
            case KILL, LEADER_CHANGE_KILL -> new Start();
            case PAUSE -> new Resume();
            case CLOCK, STALE_LEADER -> new StopClock();
            case DISK_FULL -> new StopDiskFull();
            case FSYNC_STALL -> new StopFsyncStall();
            case CLOG -> new StopLink(Link.CLOG);
            case LOSS -> new StopLink(Link.LOSS);
            case CORRUPT -> new StopLink(Link.CORRUPT);
            case DUPLICATE -> new StopLink(Link.DUPLICATE);
            case REORDER -> new StopLink(Link.REORDER);
            case ANSWER_FLOOD -> new StopAttack(Attack.ANSWER_FLOOD);
            case CLIENT_CONN_FLOOD -> new StopAttack(Attack.CLIENT_CONN_FLOOD);
            case PEER_CONN_FLOOD -> new StopAttack(Attack.PEER_CONN_FLOOD);
            case HALF_FRAMES -> new StopAttack(Attack.HALF_FRAMES);
            case FORGED_PEER -> new StopAttack(Attack.FORGED_PEER);
            default -> null;
        };
    }

    /** The operation that undoes every active fault. */
    public static Op heal() {
        return Op.fault(HEAL, null);
    }

    /** A completion value for a fault that did something: {@code effect} and details. */
    public static Map<String, Object> effect(String what, Object... keyValues) {
        return result("effect", what, keyValues);
    }

    /**
     * A fault's evidence with a second part's under {@code key} (a stale leader's clock evidence and its cut):
     * {@code effect} if either part had one, else {@code no-effect}.
     */
    public static Map<String, Object> joined(Object evidence, String key, Object part) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (evidence instanceof Map<?, ?> e) {
            e.forEach((k, v) -> m.put(String.valueOf(k), v));
        }
        if (!m.containsKey("effect") && part instanceof Map<?, ?> p && p.containsKey("effect")) {
            Object why = m.remove("no-effect");
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("effect", key + " (" + (why == null ? "nothing else" : "otherwise: " + why) + ")");
            out.putAll(m);
            m.clear();
            m.putAll(out);
        }
        m.put(key, part);
        return m;
    }

    /** A completion value for a fault that changed nothing, and why. */
    public static Map<String, Object> noEffect(String why, Object... keyValues) {
        return result("no-effect", why, keyValues);
    }

    private static Map<String, Object> result(String kind, String text, Object... keyValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(kind, text);
        for (int i = 0; i + 1 < keyValues.length; i += 2) {
            m.put((String) keyValues[i], keyValues[i + 1]);
        }
        return m;
    }
}
