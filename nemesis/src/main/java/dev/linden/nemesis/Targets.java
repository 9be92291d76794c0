package dev.linden.nemesis;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/** Jepsen's node specs: which nodes a fault hits, resolved when it is injected. */
public final class Targets {
    public static final List<String> SPECS = List.of("one", "minority", "majority", "all", "leader", "followers");
    /**
     * A spec only the disk-damage faults take (each binding resolves it with {@link #upToDateFollower}, as it
     * needs the nodes' progress): the follower whose log is furthest along.
     */
    public static final String UP_TO_DATE_FOLLOWER = "up-to-date-follower";

    private Targets() {}

    /** Throws unless {@code spec} is a node spec a fault takes ({@link #SPECS}, {@link #UP_TO_DATE_FOLLOWER}). */
    public static void check(String spec) {
        if (!SPECS.contains(spec) && !UP_TO_DATE_FOLLOWER.equals(spec)) {
            throw new IllegalArgumentException(
                    "unknown node spec '" + spec + "' (one of " + SPECS + ", " + UP_TO_DATE_FOLLOWER + ")");
        }
    }

    /**
     * The nodes {@code spec} names, in ascending order.
     *
     * @param leader the current leader, or -1 when none is known ({@code leader} then picks one at random)
     */
    public static List<Integer> resolve(String spec, List<Integer> nodes, int leader, SplittableRandom r) {
        List<Integer> ns = new ArrayList<>(nodes);
        Grudges.shuffle(ns, r);
        int n = ns.size();
        int count;
        switch (spec) {
            case "one":
                count = 1;
                break;
            case "minority":
                count = Math.max(1, (n - 1) / 2);
                break;
            case "majority":
                count = n / 2 + 1;
                break;
            case "all":
                count = n;
                break;
            case "leader":
                return List.of(leader > 0 && nodes.contains(leader) ? leader : ns.get(0));
            case "followers": {
                // Every node but the leader (with no leader known, every node but one at random).
                List<Integer> out = new ArrayList<>(nodes);
                out.remove(Integer.valueOf(leader > 0 && nodes.contains(leader) ? leader : ns.get(0)));
                out.sort(null);
                return out;
            }
            default:
                throw new IllegalArgumentException("unknown node spec '" + spec + "' (one of " + SPECS + ")");
        }
        List<Integer> out = new ArrayList<>(ns.subList(0, Math.min(count, n)));
        out.sort(null);
        return out;
    }

    /**
     * The follower furthest along: among the nodes in {@code progress} (node to its log index, durable or
     * applied, whichever the binding can see) other than {@code leader}, one with the highest index, ties
     * broken by {@code r}. Damaging it is the dangerous case: it holds acknowledged entries the lagging
     * nodes may not. Returns -1 if no node but the leader is known.
     */
    public static int upToDateFollower(Map<Integer, Long> progress, int leader, SplittableRandom r) {
        List<Integer> best = new ArrayList<>();
        long bestIndex = Long.MIN_VALUE;
        for (Map.Entry<Integer, Long> e : new TreeMap<>(progress).entrySet()) {
            if (e.getKey() == leader) {
                continue;
            }
            if (e.getValue() > bestIndex) {
                best.clear();
                bestIndex = e.getValue();
            }
            if (e.getValue() == bestIndex) {
                best.add(e.getKey());
            }
        }
        return best.isEmpty() ? -1 : best.get(r.nextInt(best.size()));
    }
}
