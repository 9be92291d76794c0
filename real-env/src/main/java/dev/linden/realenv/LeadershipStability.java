package dev.linden.realenv;

import dev.linden.checker.history.OpType;
import dev.linden.kvnode.events.NodeEvent;
import dev.linden.kvnode.events.Violation;
import dev.linden.workloads.HistoryOp;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Raft's stability promise on node processes, as the simulator's liveness monitor keeps it: while a partition is
 * the only fault and leaves a majority of the nodes connected both ways, then once that majority has had time to
 * elect, its term rises at most {@link #MAX_RISES} more times (one more per {@link #MILLIS_PER_EXTRA_RISE} of a
 * long period, for the pauses of a loaded machine). More, and a node outside the majority keeps deposing its
 * leaders: what PreVote and check-quorum are for. Judged after the run, from the history's nemesis operations
 * (the partitions and their grudges) and the terms the nodes made durable (their event streams, on the same
 * machine's clock as the harness).
 */
final class LeadershipStability {
    /** Time for the majority to elect after a partition starts (a few election timeouts). */
    static final long SETTLE_MILLIS = 3_000;
    /** Periods shorter than this after settling are not judged. */
    static final long MIN_JUDGED_MILLIS = 2_000;

    static final int MAX_RISES = 2;
    static final long MILLIS_PER_EXTRA_RISE = 10_000;

    static final String PROPERTY = "while a partition alone leaves a majority connected, its term rises at most "
            + MAX_RISES + " times once settled (no node outside keeps deposing its leaders)";

    /** A stretch of the run in which only a partition held, and the majority it left connected. */
    record Period(long startNanos, long endNanos, Set<Integer> majority, Object grudge) {}

    private LeadershipStability() {}

    /**
     * The periods of a history in which a partition (with a majority connected both ways among {@code nodes})
     * was the only fault in force: from its start's completion to the next nemesis operation, or {@code
     * endNanos}. None if the membership changed during the run (the majority is then not known here), and none
     * after a clock fault (its offsets outlive it, so the nodes' event times no longer match the history's).
     */
    static List<Period> periods(List<HistoryOp> history, Set<Integer> nodes, long endNanos) {
        List<Period> out = new ArrayList<>();
        Set<String> open = new HashSet<>();
        Period current = null;
        for (HistoryOp op : history) {
            if (!op.nemesis()) {
                continue;
            }
            if (op.f().equals("replace-node") || op.f().equals("restart-as-new")) {
                return List.of();
            }
            if (op.f().equals("start-clock")) {
                if (current != null) {
                    out.add(new Period(current.startNanos(), op.timeNanos(), current.majority(), current.grudge()));
                }
                return out;
            }
            if (current != null) {
                out.add(new Period(current.startNanos(), op.timeNanos(), current.majority(), current.grudge()));
                current = null;
            }
            if (op.type() != OpType.INFO) {
                continue;
            }
            String started = started(op.f());
            String stopped = stopped(op.f());
            if (started != null && !started.equals("partition")) {
                open.add(started);
            } else if (stopped != null) {
                open.remove(stopped);
            } else if ("partition".equals(started) && open.isEmpty() && op.value() instanceof Map<?, ?> v) {
                Set<Integer> majority = majority(nodes, v.get("grudge"));
                if (majority != null) {
                    current = new Period(op.timeNanos(), endNanos, majority, v.get("grudge"));
                }
            }
        }
        if (current != null) {
            out.add(current);
        }
        return out;
    }

    private static String started(String f) {
        return f.equals("kill") || f.equals("pause") ? f : f.startsWith("start-") ? f.substring(6) : null;
    }

    private static String stopped(String f) {
        return switch (f) {
            case "start" -> "kill";
            case "resume" -> "pause";
            default -> f.startsWith("stop-") ? f.substring(5) : null;
        };
    }

    /**
     * The largest set of nodes connected both ways under {@code grudge} (a node's name to the nodes it does not
     * hear), if it is a majority of {@code nodes}; null otherwise.
     */
    static Set<Integer> majority(Set<Integer> nodes, Object grudge) {
        if (!(grudge instanceof Map<?, ?> g) || nodes.size() > 9) {
            return null;
        }
        Map<Integer, Set<Integer>> deaf = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : g.entrySet()) {
            Set<Integer> from = new HashSet<>();
            if (e.getValue() instanceof Iterable<?> it) {
                it.forEach(x -> from.add(Integer.parseInt(String.valueOf(x))));
            }
            deaf.put(Integer.parseInt(String.valueOf(e.getKey())), from);
        }
        List<Integer> ids = new ArrayList<>(new TreeSet<>(nodes));
        Set<Integer> best = null;
        for (int bits = 1; bits < 1 << ids.size(); bits++) {
            Set<Integer> s = new TreeSet<>();
            for (int i = 0; i < ids.size(); i++) {
                if ((bits & 1 << i) != 0) {
                    s.add(ids.get(i));
                }
            }
            if (s.size() * 2 > nodes.size() && (best == null || s.size() > best.size()) && connected(s, deaf)) {
                best = s;
            }
        }
        return best;
    }

    private static boolean connected(Set<Integer> s, Map<Integer, Set<Integer>> deaf) {
        for (int a : s) {
            for (int b : s) {
                if (a != b && deaf.getOrDefault(a, Set.of()).contains(b)) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * Judges each period by the terms its majority made durable: after {@link #SETTLE_MILLIS}, the distinct
     * terms above the highest one they held then. {@code runStartWallMillis}: the wall clock at the history's
     * time 0.
     */
    static List<Violation> judge(
            List<Period> periods,
            Map<Integer, List<NodeEvent>> events,
            long runStartWallMillis,
            Map<String, Object> facts) {
        List<Violation> out = new ArrayList<>();
        int judged = 0;
        String most = "none";
        int mostRises = -1;
        for (Period p : periods) {
            long from = runStartWallMillis + p.startNanos() / 1_000_000 + SETTLE_MILLIS;
            long to = runStartWallMillis + p.endNanos() / 1_000_000;
            if (to - from < MIN_JUDGED_MILLIS) {
                continue;
            }
            judged++;
            long before = 0;
            Set<Long> risen = new TreeSet<>();
            long lastAt = from;
            int lastNode = 0;
            for (int node : p.majority()) {
                for (NodeEvent e : events.getOrDefault(node, List.of())) {
                    if (!(e instanceof NodeEvent.HardStateSaved h)) {
                        continue;
                    }
                    if (h.atMillis() < from) {
                        before = Math.max(before, h.term());
                    } else if (h.atMillis() <= to) {
                        risen.add(h.term());
                        if (h.atMillis() >= lastAt) {
                            lastAt = h.atMillis();
                            lastNode = node;
                        }
                    }
                }
            }
            final long settled = before;
            risen.removeIf(t -> t <= settled);
            long allowed = MAX_RISES + (to - from) / MILLIS_PER_EXTRA_RISE;
            if (risen.size() > mostRises) {
                mostRises = risen.size();
                most = risen.size() + " in " + (to - from) + " ms (" + allowed + " allowed)";
            }
            if (risen.size() > allowed) {
                out.add(new Violation(
                        "leadership stable",
                        lastNode,
                        0,
                        lastAt,
                        "while a partition (grudges " + p.grudge() + ") left nodes " + p.majority()
                                + " connected, their term rose " + risen.size() + " times in " + (to - from)
                                + " ms after settling (from " + settled + " to " + ((TreeSet<Long>) risen).last()
                                + "; at most " + allowed + " allowed): a node outside keeps deposing their leaders"));
            }
        }
        facts.put("stable-periods-judged", judged + " of " + periods.size());
        facts.put("most-term-rises-in-a-stable-period", most);
        return out;
    }
}
