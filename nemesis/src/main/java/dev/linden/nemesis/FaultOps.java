package dev.linden.nemesis;

import dev.linden.workloads.gen.Op;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The nemesis's operations, as they appear in histories ({@code :process :nemesis}). Values name what to
 * hit as Jepsen does: node specs ({@code "targets"}: one, minority, majority, all, leader) or partition
 * shapes ({@code "shape"}), resolved to nodes when injected; the completion records the nodes and what
 * happened to them.
 *
 * <table>
 *   <caption>Operations</caption>
 *   <tr><td>start-partition / stop-partition</td><td>{"shape" halves|one|leader|majorities-ring|bridge|one-way|deaf|new-leader}</td></tr>
 *   <tr><td>kill / start</td><td>{"targets" ..., optionally "during" "fsync", or "during" "disk-op" with
 *   "after-ops" k}; start: every killed node</td></tr>
 *   <tr><td>pause / resume</td><td>{"targets" ...}</td></tr>
 *   <tr><td>start-clock / stop-clock</td><td>{"targets" ..., "offset-ms" N, "drift-ppm" N, optionally
 *   "others-drift-ppm" N for every node not targeted}</td></tr>
 *   <tr><td>start-disk-full / stop-disk-full</td><td>{"targets" ...}</td></tr>
 *   <tr><td>start-fsync-stall / stop-fsync-stall</td><td>{"targets" ..., "stall-ms" N}: each fsync takes N ms more</td></tr>
 *   <tr><td>transfer-leader</td><td>{"to" "random"}: the leader hands over to another voter</td></tr>
 *   <tr><td>replace-node</td><td>{"remove" "leader"|"one"}: a new node joins (learner, then voter), a voter
 *       leaves and stops for good</td></tr>
 *   <tr><td>bitflip</td><td>{"targets" "one"}: flip a bit in a synced record, restart the node</td></tr>
 *   <tr><td>wipe-disk</td><td>{"targets" "one"}: kill, replace its disk by an empty one, start it</td></tr>
 *   <tr><td>lose-tail</td><td>{"targets" "up-to-date-follower"|"one", "records" k, "cut" boundary|inside-record}:
 *       kill, cut the last k synced records off its WAL's last segment, start it as usual</td></tr>
 *   <tr><td>lose-segments</td><td>{"targets" ...}: kill, delete every WAL segment (hard state, identity and
 *       snapshots kept), start it as usual</td></tr>
 *   <tr><td>restart-as-new</td><td>{"targets" ...}: kill, empty its data dir, start it with the bootstrap
 *       command (a new cluster, same id and peers)</td></tr>
 *   <tr><td>start-link / stop-link</td><td>{"behavior" loss|duplicate|reorder|clog, "rate" or "targets"}</td></tr>
 *   <tr><td>start-answer-flood / stop-answer-flood</td><td>{"calls" N, "value-bytes" N}: one client with a session
 *       puts a value of that size, then sends N mismatching compare-and-sets at once</td></tr>
 *   <tr><td>start-client-conn-flood / stop-client-conn-flood</td><td>{"targets" ..., "connections-per-node" N}:
 *       idle TCP connections to the targets' client ports, held until stop</td></tr>
 *   <tr><td>start-peer-conn-flood / stop-peer-conn-flood</td><td>{"targets" "followers"|"one", "connections-per-node" N}:
 *       idle TCP connections to the targets' peer ports, held until stop</td></tr>
 *   <tr><td>start-half-frames / stop-half-frames</td><td>{"port" peer|client, "targets" ..., "frames-per-node" N,
 *       "frame-bytes" N}: frames announcing N bytes, sent but for their last bytes, which trickle</td></tr>
 *   <tr><td>start-forged-peer / stop-forged-peer</td><td>{"credentials" none|client, "term-jump" N}: Hello as a lower-numbered
 *       member on each node's peer port, then heartbeats and vote requests of the term the nodes report plus N</td></tr>
 *   <tr><td>heal</td><td>undo every active fault (the final phase's first step)</td></tr>
 * </table>
 */
public final class FaultOps {
    private FaultOps() {}

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

    /** The operation that starts a fault of {@code kind}, its parameters drawn from {@code r}. */
    public static Op start(FaultKind kind, SplittableRandom r, int nodeCount) {
        Map<String, Object> v = new LinkedHashMap<>();
        switch (kind) {
            case PARTITION:
                List<String> shapes = new ArrayList<>(Grudges.SHAPES);
                if (nodeCount < 5) {
                    shapes.remove("majorities-ring"); // with 3 nodes it is a plain split
                }
                v.put("shape", shapes.get(r.nextInt(shapes.size())));
                return Op.fault("start-partition", v);
            case LONG_PARTITION: {
                List<String> partial = new ArrayList<>(List.of("bridge", "one-way", "deaf", "one"));
                if (nodeCount >= 5) {
                    partial.add("majorities-ring");
                }
                v.put("shape", partial.get(r.nextInt(partial.size())));
                v.put("hold", "long");
                return Op.fault("start-partition", v);
            }
            case CRASH: {
                // Usually one node; sometimes a minority, a majority, everyone, or the leader.
                int roll = r.nextInt(10);
                v.put(
                        "targets",
                        roll < 5 ? "one" : roll < 7 ? "leader" : roll < 8 ? "minority" : roll < 9 ? "majority" : "all");
                int inside = r.nextInt(6);
                if (inside < 2) {
                    // A crash point inside I/O: the targets die in the middle of their next fsync (bindings
                    // that cannot aim that finely kill at once).
                    v.put("during", "fsync");
                } else if (inside == 2) {
                    // ... or right after their k-th disk operation from now (a write, a sync, a create, a
                    // rename, a delete), before the next one: between a write and its sync, a rename and
                    // the directory's sync.
                    v.put("during", "disk-op");
                    v.put("after-ops", 1L + r.nextInt(12));
                }
                return Op.fault("kill", v);
            }
            case PAUSE:
                v.put("targets", r.nextInt(3) == 0 ? "leader" : r.nextInt(4) == 0 ? "minority" : "one");
                return Op.fault("pause", v);
            case CLOCK: {
                if (r.nextInt(4) == 0) {
                    // Skew against the leader: its clock at half speed, everyone else's at one and a half (a
                    // VM's clock gone wrong; the worst a read lease must survive: the leader's lease lasts
                    // longest while its voters' election timeouts run out soonest, three times as fast).
                    v.put("targets", "leader");
                    v.put("offset-ms", 0L);
                    v.put("drift-ppm", -500_000L);
                    v.put("others-drift-ppm", 500_000L);
                    return Op.fault("start-clock", v);
                }
                int roll = r.nextInt(4);
                v.put("targets", roll == 0 ? "minority" : roll == 1 ? "leader" : "one");
                v.put("offset-ms", (r.nextBoolean() ? 1L : -1L) * (50 + r.nextInt(3000)));
                // Up to 5% fast or slow, sometimes 10%: what a lease's drift bound must cover.
                v.put("drift-ppm", (r.nextBoolean() ? 1L : -1L) * r.nextInt(r.nextInt(4) == 0 ? 100_000 : 50_000));
                return Op.fault("start-clock", v);
            }
            case DISK_FULL:
                v.put("targets", "one");
                return Op.fault("start-disk-full", v);
            case FSYNC_STALL:
                v.put("targets", r.nextBoolean() ? "leader" : "one");
                v.put("stall-ms", 200L + r.nextInt(2_800));
                return Op.fault("start-fsync-stall", v);
            case BITFLIP:
                v.put("targets", "one");
                return Op.fault("bitflip", v);
            case DISK_LOSS:
                v.put("targets", "one");
                return Op.fault("wipe-disk", v);
            case LOSE_TAIL:
                v.put("targets", damageTarget(r));
                v.put("records", 1L + r.nextInt(MAX_TAIL_RECORDS_LOST));
                v.put("cut", r.nextBoolean() ? "boundary" : "inside-record");
                return Op.fault("lose-tail", v);
            case LOSE_SEGMENTS:
                v.put("targets", damageTarget(r));
                return Op.fault("lose-segments", v);
            case RESTART_AS_NEW:
                v.put("targets", damageTarget(r));
                return Op.fault("restart-as-new", v);
            case TRANSFER_LEADER:
                v.put("to", "random");
                return Op.fault("transfer-leader", v);
            case REPLACE_NODE:
                v.put("remove", r.nextInt(3) == 0 ? "leader" : "one");
                return Op.fault("replace-node", v);
            case CLOG:
                v.put("behavior", "clog");
                v.put("targets", "one");
                return Op.fault("start-link", v);
            case LOSS:
                v.put("behavior", "loss");
                v.put("rate", Math.round((0.02 + r.nextDouble() * 0.2) * 1000) / 1000.0);
                return Op.fault("start-link", v);
            case DUPLICATE:
                v.put("behavior", "duplicate");
                v.put("rate", Math.round((0.02 + r.nextDouble() * 0.2) * 1000) / 1000.0);
                return Op.fault("start-link", v);
            case REORDER:
                v.put("behavior", "reorder");
                v.put("jitter-micros", 200L + r.nextInt(20_000));
                return Op.fault("start-link", v);
            case ANSWER_FLOOD:
                v.put("calls", (long) ANSWER_FLOOD_CALLS);
                v.put("value-bytes", (long) ANSWER_FLOOD_VALUE_BYTES);
                return Op.fault("start-answer-flood", v);
            case CLIENT_CONN_FLOOD:
                // Every node: a client turned away by one would try another.
                v.put("targets", "all");
                v.put("connections-per-node", (long) CLIENT_CONNECTIONS_PER_NODE);
                return Op.fault("start-client-conn-flood", v);
            case PEER_CONN_FLOOD:
                v.put("targets", r.nextInt(3) == 0 ? "one" : "followers");
                v.put("connections-per-node", (long) PEER_CONNECTIONS_PER_NODE);
                return Op.fault("start-peer-conn-flood", v);
            case HALF_FRAMES: {
                boolean peer = r.nextBoolean();
                v.put("port", peer ? "peer" : "client");
                v.put("targets", r.nextBoolean() ? "all" : "leader");
                v.put("frames-per-node", (long) (peer ? HALF_FRAMES_PER_NODE : HALF_FRAMES_PER_NODE_CLIENT_PORT));
                // Just under each port's frame limit: the largest frame a node agrees to buffer.
                v.put("frame-bytes", peer ? (16L << 20) - 4096 : (2L << 20));
                return Op.fault("start-half-frames", v);
            }
            case FORGED_PEER:
                // A stranger (plain TCP), or an ordinary client's certificate claiming to be a node.
                v.put("credentials", r.nextBoolean() ? "none" : "client");
                v.put("term-jump", 1_000L);
                return Op.fault("start-forged-peer", v);
            default:
                throw new IllegalArgumentException("no start operation for " + kind);
        }
    }

    /** The operation that ends a fault started by {@code start}, or null if the fault ends by itself. */
    public static Op stop(FaultKind kind, Op start) {
        switch (kind) {
            case PARTITION:
            case LONG_PARTITION:
                return Op.fault("stop-partition", null);
            case CRASH:
                return Op.fault("start", Map.of("targets", "all"));
            case PAUSE:
                return Op.fault("resume", Map.of("targets", "all"));
            case CLOCK:
                return Op.fault("stop-clock", Map.of("targets", "all"));
            case DISK_FULL:
                return Op.fault("stop-disk-full", Map.of("targets", "all"));
            case FSYNC_STALL:
                return Op.fault("stop-fsync-stall", Map.of("targets", "all"));
            case CLOG:
            case LOSS:
            case DUPLICATE:
            case REORDER:
                return Op.fault("stop-link", Map.of("behavior", ((Map<?, ?>) start.value()).get("behavior")));
            case ANSWER_FLOOD:
            case CLIENT_CONN_FLOOD:
            case PEER_CONN_FLOOD:
            case HALF_FRAMES:
            case FORGED_PEER:
                return Op.fault("stop-" + kind.cliName(), null);
            default:
                return null;
        }
    }

    /** The operation that undoes every active fault. */
    public static Op heal() {
        return Op.fault(HEAL, null);
    }

    /** A completion value for a fault that did something: {@code effect} and details. */
    public static Map<String, Object> effect(String what, Object... keyValues) {
        return result("effect", what, keyValues);
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
