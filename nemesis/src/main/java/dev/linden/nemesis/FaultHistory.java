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
import dev.linden.nemesis.Fault.Kill;
import dev.linden.nemesis.Fault.Link;
import dev.linden.nemesis.Fault.ReplaceNode;
import dev.linden.nemesis.Fault.StartClock;
import dev.linden.nemesis.Fault.StartClog;
import dev.linden.nemesis.Fault.StartCorrupt;
import dev.linden.nemesis.Fault.StartDuplicate;
import dev.linden.nemesis.Fault.StartLoss;
import dev.linden.nemesis.Fault.StartPartition;
import dev.linden.nemesis.Fault.StartReorder;
import dev.linden.nemesis.Fault.StopLink;
import dev.linden.nemesis.HostileFault.Attack;
import dev.linden.nemesis.HostileFault.StartAnswerFlood;
import dev.linden.nemesis.HostileFault.StartClientConnFlood;
import dev.linden.nemesis.HostileFault.StartForgedPeer;
import dev.linden.nemesis.HostileFault.StartHalfFrames;
import dev.linden.nemesis.HostileFault.StartPeerConnFlood;
import dev.linden.nemesis.HostileFault.StopAttack;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Faults at the history's edge: the name and value map of each as Jepsen's operation ({@code :f}, {@code :value}),
 * written in a fixed key order, and read back ({@link #read}) from a stored history. Reading is strict about
 * keys (a key a fault does not take is an error, not ignored) and fills the keys an older history may lack with
 * the defaults the bindings used.
 */
public final class FaultHistory {
    private FaultHistory() {}

    /** A history value of every node ({@code {"targets" "all"}}): what undoing operations record. */
    private static final Map<String, Object> ALL = Map.of("targets", "all");

    /** Names as histories write them. */
    static final Fault.Handler<String> NAME = new FaultNames();

    /** Values as histories write them. */
    static final Fault.Handler<Map<String, Object>> VALUE = new FaultValues();

    /** The fault a history's operation {@code f} with {@code value} records. */
    public static Fault read(String f, Object value) {
        Values v = new Values(f, value);
        Fault out = readStart(f, v);
        if (out == null) {
            out = readUndo(f, v);
        }
        if (out == null) {
            throw new IllegalArgumentException("not a fault: " + f);
        }
        v.noneLeft();
        return out;
    }

    private static Fault readStart(String f, Values v) {
        return switch (f) {
            case "start-partition" ->
                new StartPartition(v.text("shape", "halves"), "long".equals(v.text("hold", "short")));
            case "start-link" -> readLink(v);
            case "kill" -> readKill(v);
            case "pause" -> new Fault.Pause(v.targets());
            case "start-clock" -> {
                String targets = v.targets();
                long offset = v.number("offset-ms", 0);
                long drift = v.number("drift-ppm", 0);
                OptionalLong others = v.has("others-drift-ppm")
                        ? OptionalLong.of(v.number("others-drift-ppm", 0))
                        : OptionalLong.empty();
                yield new StartClock(targets, offset, drift, others, v.flag("isolate"));
            }
            case "transfer-leader" -> {
                v.text("to", "random");
                yield new Fault.TransferLeader();
            }
            case "replace-node" -> new ReplaceNode(v.text("remove", "one"));
            case "start-disk-full" -> new StartDiskFull(v.targets());
            case "start-fsync-stall" -> new StartFsyncStall(v.targets(), v.number("stall-ms", 1_000));
            case "bitflip" -> new Bitflip(v.targets());
            case "wipe-disk" -> new WipeDisk(v.targets());
            case "lose-tail" ->
                new LoseTail(v.targets(), v.number("records", 1), "inside-record".equals(v.text("cut", "boundary")));
            case "lose-segments" -> new LoseSegments(v.targets());
            case "restart-as-new" -> new RestartAsNew(v.targets());
            default -> readAttack(f, v);
        };
    }

    private static Fault readLink(Values v) {
        return switch (v.text("behavior", "")) {
            case "clog" -> new StartClog(v.targets());
            case "loss" -> new StartLoss(v.rate());
            case "corrupt" -> new StartCorrupt(v.rate());
            case "duplicate" -> new StartDuplicate(v.rate());
            case "reorder" -> new StartReorder(v.number("jitter-micros", 5_000));
            default -> throw new IllegalArgumentException("start-link: no behavior " + v.map.get("behavior"));
        };
    }

    private static Kill readKill(Values v) {
        String targets = v.targets();
        String during = v.text("during", "now");
        return switch (during) {
            case "now" -> new Kill(targets);
            case "fsync" -> new Kill(targets, Fault.CrashPoint.FSYNC, 0);
            case "disk-op" -> new Kill(targets, Fault.CrashPoint.DISK_OP, v.number("after-ops", 1));
            case "leader-change" -> new Kill(targets, Fault.CrashPoint.LEADER_CHANGE, 0);
            default -> throw new IllegalArgumentException("kill: no crash point " + during);
        };
    }

    private static Fault readAttack(String f, Values v) {
        return switch (f) {
            case "rogue-operator" -> new HostileFault.RogueOperator(v.targets());
            case "start-answer-flood" ->
                new StartAnswerFlood(
                        v.integer("calls", FaultOps.ANSWER_FLOOD_CALLS),
                        v.integer("value-bytes", FaultOps.ANSWER_FLOOD_VALUE_BYTES));
            case "start-client-conn-flood" ->
                new StartClientConnFlood(
                        v.targets(), v.integer("connections-per-node", FaultOps.CLIENT_CONNECTIONS_PER_NODE));
            case "start-peer-conn-flood" ->
                new StartPeerConnFlood(
                        v.targets(), v.integer("connections-per-node", FaultOps.PEER_CONNECTIONS_PER_NODE));
            case "start-half-frames" ->
                new StartHalfFrames(
                        v.text("port", "client"),
                        v.targets(),
                        v.integer("frames-per-node", FaultOps.HALF_FRAMES_PER_NODE),
                        v.integer("frame-bytes", 2 << 20));
            case "start-forged-peer" ->
                new StartForgedPeer(v.text("credentials", "none"), v.number("term-jump", 1_000));
            default -> null;
        };
    }

    /** The operations that undo a fault: every node's, a link behavior's, an attack's. */
    private static Fault readUndo(String f, Values v) {
        switch (f) {
            case "stop-partition":
                return new Fault.StopPartition();
            case "stop-link": {
                String b = v.text("behavior", "");
                for (Link l : Link.values()) {
                    if (l.text().equals(b)) {
                        return new StopLink(l);
                    }
                }
                throw new IllegalArgumentException("stop-link: no behavior " + b);
            }
            case "start":
            case "resume":
            case "stop-clock":
            case "stop-disk-full":
            case "stop-fsync-stall":
                v.text("targets", "all");
                return switch (f) {
                    case "start" -> new Fault.Start();
                    case "resume" -> new Fault.Resume();
                    case "stop-clock" -> new Fault.StopClock();
                    case "stop-disk-full" -> new StopDiskFull();
                    default -> new StopFsyncStall();
                };
            default:
                for (Attack a : Attack.values()) {
                    if (f.equals("stop-" + a.text())) {
                        return new StopAttack(a);
                    }
                }
                return null;
        }
    }

    /** A history value being read: each key taken once, and none may be left. */
    private static final class Values {
        final String f;
        final Map<String, Object> map = new LinkedHashMap<>();

        Values(String f, Object value) {
            this.f = f;
            if (value instanceof Map<?, ?> m) {
                m.forEach((k, x) -> map.put(String.valueOf(k), x));
            } else if (value != null) {
                throw new IllegalArgumentException(f + ": a value map or nothing, not " + value);
            }
        }

        boolean has(String key) {
            return map.containsKey(key);
        }

        String text(String key, String dflt) {
            Object x = map.remove(key);
            return x == null ? dflt : String.valueOf(x);
        }

        String targets() {
            return text("targets", "one");
        }

        long number(String key, long dflt) {
            Object x = map.remove(key);
            if (x == null) {
                return dflt;
            }
            if (!(x instanceof Number n)) {
                throw new IllegalArgumentException(f + ": " + key + " is not a number: " + x);
            }
            return n.longValue();
        }

        boolean flag(String key) {
            Object x = map.remove(key);
            if (x != null && !(x instanceof Boolean)) {
                throw new IllegalArgumentException(f + ": " + key + " is true or false, not " + x);
            }
            return Boolean.TRUE.equals(x);
        }

        int integer(String key, long dflt) {
            return (int) Math.min(Integer.MAX_VALUE, number(key, dflt));
        }

        double rate() {
            Object x = map.remove("rate");
            if (x != null && !(x instanceof Number)) {
                throw new IllegalArgumentException(f + ": rate is not a number: " + x);
            }
            return x == null ? 0.2 : ((Number) x).doubleValue();
        }

        void noneLeft() {
            if (!map.isEmpty()) {
                throw new IllegalArgumentException(f + " takes no " + map.keySet());
            }
        }
    }

    static void oneOf(String key, String value, List<String> known) {
        if (!known.contains(value)) {
            throw new IllegalArgumentException("unknown " + key + " '" + value + "' (one of " + known + ")");
        }
    }

    static void rate(double rate) {
        if (!(rate >= 0 && rate <= 1)) {
            throw new IllegalArgumentException("a rate is between 0 and 1, not " + rate);
        }
    }

    static Map<String, Object> all() {
        return ALL;
    }

    static Map<String, Object> map(Object... keyValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i + 1 < keyValues.length; i += 2) {
            m.put((String) keyValues[i], keyValues[i + 1]);
        }
        return m;
    }
}
