package dev.linden.nemesis;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Partition shapes, as Jepsen's grudges: which directed links drop every message. Pure functions of the
 * node list (and a seeded random source where the shape is random).
 */
public final class Grudges {
    /** A directed link: messages from {@code from} to {@code to}. */
    public record Link(int from, int to) {}

    /** The shapes {@code start-partition} takes, by name. */
    public static final List<String> SHAPES =
            List.of("halves", "one", "leader", "majorities-ring", "bridge", "one-way", "deaf", "new-leader");

    private Grudges() {}

    /**
     * The blocked links of a shape.
     *
     * @param leader the current leader (for {@code leader}), or -1 when none is known (then a random node)
     */
    public static Set<Link> of(String shape, List<Integer> nodes, int leader, SplittableRandom r) {
        List<Integer> ns = new ArrayList<>(nodes);
        shuffle(ns, r);
        int n = ns.size();
        Set<Link> blocked = new HashSet<>();
        switch (shape) {
            case "halves": {
                int half = n / 2;
                cut(ns.subList(0, half), ns.subList(half, n), blocked);
                break;
            }
            case "leader":
            case "one": {
                int victim = shape.equals("leader") && leader > 0 && nodes.contains(leader) ? leader : ns.get(0);
                List<Integer> rest = new ArrayList<>(nodes);
                rest.remove(Integer.valueOf(victim));
                cut(List.of(victim), rest, blocked);
                break;
            }
            case "one-way": {
                int v = ns.get(0);
                for (int other : ns) {
                    if (other != v) {
                        blocked.add(new Link(v, other)); // v's messages are dropped; it still hears the others
                    }
                }
                break;
            }
            case "deaf": {
                int v = ns.get(0);
                for (int other : ns) {
                    if (other != v) {
                        blocked.add(new Link(other, v)); // v hears no one; its own messages still go out
                    }
                }
                break;
            }
            case "new-leader": {
                // The leader and followers short of a majority on one side. A binding that can watch
                // elections applies it the moment the next leader is elected, so that leader's first
                // entries reach a minority only; others apply it to the current leader.
                int l = leader > 0 && nodes.contains(leader) ? leader : ns.get(0);
                List<Integer> side = new ArrayList<>(List.of(l));
                List<Integer> rest = new ArrayList<>();
                for (int x : ns) {
                    if (x != l) {
                        (side.size() < (n - 1) / 2 ? side : rest).add(x);
                    }
                }
                cut(side, rest, blocked);
                break;
            }
            case "bridge": {
                List<Integer> rest = ns.subList(1, n);
                int half = rest.size() / 2;
                cut(rest.subList(0, half), rest.subList(half, rest.size()), blocked);
                break;
            }
            case "majorities-ring": {
                // Every node sees a majority, and no two see the same one.
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < n; j++) {
                        int d = Math.min(Math.abs(i - j), n - Math.abs(i - j));
                        if (d > n / 4 && i != j) {
                            blocked.add(new Link(ns.get(i), ns.get(j)));
                        }
                    }
                }
                break;
            }
            default:
                throw new IllegalArgumentException("unknown partition shape '" + shape + "' (one of " + SHAPES + ")");
        }
        return blocked;
    }

    /** For each node, the nodes it cannot hear from (Jepsen's grudge), in node order. */
    public static Map<Integer, List<Integer>> grudge(Set<Link> blocked, List<Integer> nodes) {
        Map<Integer, List<Integer>> g = new TreeMap<>();
        for (int to : nodes) {
            List<Integer> from = new ArrayList<>();
            for (int f : nodes) {
                if (blocked.contains(new Link(f, to))) {
                    from.add(f);
                }
            }
            if (!from.isEmpty()) {
                g.put(to, from);
            }
        }
        return g;
    }

    private static void cut(List<Integer> a, List<Integer> b, Set<Link> blocked) {
        for (int x : a) {
            for (int y : b) {
                blocked.add(new Link(x, y));
                blocked.add(new Link(y, x));
            }
        }
    }

    static void shuffle(List<Integer> l, SplittableRandom r) {
        for (int i = l.size() - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            Integer t = l.get(i);
            l.set(i, l.get(j));
            l.set(j, t);
        }
    }
}
