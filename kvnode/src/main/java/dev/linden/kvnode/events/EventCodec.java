package dev.linden.kvnode.events;

import dev.linden.kvnode.events.NodeEvent.Applied;
import dev.linden.kvnode.events.NodeEvent.CommitAdvanced;
import dev.linden.kvnode.events.NodeEvent.HardStateSaved;
import dev.linden.kvnode.events.NodeEvent.LeaderElected;
import dev.linden.kvnode.events.NodeEvent.MembershipInForce;
import dev.linden.kvnode.events.NodeEvent.RoleChanged;
import dev.linden.kvnode.events.NodeEvent.SnapshotNoted;
import dev.linden.kvnode.events.NodeEvent.Started;
import dev.linden.kvnode.events.NodeEvent.VoteGranted;
import java.util.Map;

/**
 * One event as one line of JSON (an object of numbers, strings and booleans, no nesting), so a stream is
 * {@code jq}-readable and a torn last line (a node killed mid-write) is one line lost, never the stream.
 * Common keys: {@code e} the kind, {@code n} node, {@code s} sequence, {@code t} time in ms. Arrays are
 * packed into strings: an applied batch's terms as runs {@code "term*count,..."}, its hashes as 8 hex digits
 * each; a leader's log as {@code "firstIndex:term,..."}; a state digest as 16 hex digits.
 */
public final class EventCodec {
    private EventCodec() {}

    public static String encode(NodeEvent ev) {
        StringBuilder b = new StringBuilder(96);
        b.append("{\"e\":\"").append(kind(ev)).append("\",\"n\":").append(ev.node());
        b.append(",\"s\":").append(ev.seq()).append(",\"t\":").append(ev.atMillis());
        fields(b, ev);
        return b.append('}').toString();
    }

    /** The event on this line, or null if the line is not one (torn, or of a kind this reader does not know). */
    public static NodeEvent decode(String line) {
        Map<String, String> f = FlatJson.parse(line);
        if (f == null || f.get("e") == null) {
            return null;
        }
        try {
            return decode(f);
        } catch (RuntimeException e) {
            return null; // a field missing or malformed: a torn or foreign line
        }
    }

    private static NodeEvent decode(Map<String, String> f) {
        long t = Long.parseLong(f.get("t"));
        int n = Integer.parseInt(f.get("n"));
        long s = Long.parseLong(f.get("s"));
        return switch (f.get("e")) {
            case "started" ->
                new Started(
                        t,
                        n,
                        s,
                        l(f, "term"),
                        (int) l(f, "vote"),
                        l(f, "snap"),
                        l0(f, "lost"),
                        f.get("last") == null ? -1 : l(f, "last"));
            case "hard-state" -> new HardStateSaved(t, n, s, l(f, "term"), (int) l(f, "vote"));
            case "vote" -> new VoteGranted(t, n, s, l(f, "term"), (int) l(f, "cand"));
            case "role" -> new RoleChanged(t, n, s, l(f, "term"), f.get("role"), (int) l(f, "leader"));
            case "leader" -> leader(f, t, n, s);
            case "commit" ->
                new CommitAdvanced(
                        t,
                        n,
                        s,
                        l(f, "term"),
                        Boolean.parseBoolean(f.get("leader")),
                        l(f, "index"),
                        l(f, "eterm"),
                        f.get("counted") == null ? new int[0] : LogRuns.decodeInts(f.get("counted")));
            case "applied" ->
                new Applied(
                        t,
                        n,
                        s,
                        l(f, "from"),
                        LogRuns.decodeTerms(f.get("terms")),
                        LogRuns.decodeHashes(f.get("hashes")));
            case "snapshot" ->
                new SnapshotNoted(
                        t,
                        n,
                        s,
                        "taken".equals(f.get("how")),
                        l(f, "index"),
                        l(f, "term"),
                        Long.parseUnsignedLong(f.get("digest"), 16));
            case "membership" ->
                new MembershipInForce(
                        t,
                        n,
                        s,
                        LogRuns.decodeInts(f.get("voters")),
                        l0(f, "index"),
                        l0(f, "commit"),
                        "true".equals(f.get("leader")));
            default -> null;
        };
    }

    private static LeaderElected leader(Map<String, String> f, long t, int n, long s) {
        long[][] runs = LogRuns.decode(f.get("runs"));
        return new LeaderElected(t, n, s, l(f, "term"), l(f, "after"), l(f, "last"), runs[0], runs[1]);
    }

    static String kind(NodeEvent ev) {
        if (ev instanceof Started) {
            return "started";
        } else if (ev instanceof HardStateSaved) {
            return "hard-state";
        } else if (ev instanceof VoteGranted) {
            return "vote";
        } else if (ev instanceof RoleChanged) {
            return "role";
        } else if (ev instanceof LeaderElected) {
            return "leader";
        } else if (ev instanceof CommitAdvanced) {
            return "commit";
        } else if (ev instanceof Applied) {
            return "applied";
        } else if (ev instanceof SnapshotNoted) {
            return "snapshot";
        }
        return "membership";
    }

    private static void fields(StringBuilder b, NodeEvent ev) {
        if (ev instanceof Started s) {
            num(
                    num(num(num(b, "term", s.term()), "vote", s.votedFor()), "snap", s.snapshotIndex()),
                    "lost",
                    s.lostThroughTerm());
            if (s.lastIndex() >= 0) {
                num(b, "last", s.lastIndex());
            }
        } else if (ev instanceof HardStateSaved h) {
            num(num(b, "term", h.term()), "vote", h.votedFor());
        } else if (ev instanceof VoteGranted v) {
            num(num(b, "term", v.term()), "cand", v.candidate());
        } else if (ev instanceof RoleChanged r) {
            num(str(num(b, "term", r.term()), "role", r.role()), "leader", r.leader());
        } else if (ev instanceof LeaderElected l) {
            num(num(num(b, "term", l.term()), "after", l.afterIndex()), "last", l.lastIndex());
            str(b, "runs", LogRuns.encode(l.runStart(), l.runTerm()));
        } else if (ev instanceof CommitAdvanced c) {
            num(b, "term", c.term()).append(",\"leader\":").append(c.asLeader());
            num(num(b, "index", c.index()), "eterm", c.entryTerm());
            if (c.counted().length > 0) {
                str(b, "counted", LogRuns.encodeInts(c.counted()));
            }
        } else if (ev instanceof Applied a) {
            str(num(b, "from", a.fromIndex()), "terms", LogRuns.encodeTerms(a.terms()));
            str(b, "hashes", LogRuns.encodeHashes(a.hashes()));
        } else if (ev instanceof SnapshotNoted p) {
            num(num(str(b, "how", p.taken() ? "taken" : "restored"), "index", p.index()), "term", p.term());
            str(b, "digest", String.format("%016x", p.stateDigest()));
        } else if (ev instanceof MembershipInForce m) {
            num(num(str(b, "voters", LogRuns.encodeInts(m.voters())), "index", m.index()), "commit", m.commitIndex())
                    .append(",\"leader\":")
                    .append(m.asLeader());
        }
    }

    private static long l(Map<String, String> f, String key) {
        return Long.parseLong(f.get(key));
    }

    /** A field later versions added: 0 when a stream written before them lacks it. */
    private static long l0(Map<String, String> f, String key) {
        String v = f.get(key);
        return v == null ? 0 : Long.parseLong(v);
    }

    private static StringBuilder num(StringBuilder b, String key, long value) {
        return b.append(",\"").append(key).append("\":").append(value);
    }

    private static StringBuilder str(StringBuilder b, String key, String value) {
        b.append(",\"").append(key).append("\":\"");
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '"' || c == '\\') {
                b.append('\\');
            }
            b.append(c < 0x20 ? ' ' : c);
        }
        return b.append('"');
    }
}
