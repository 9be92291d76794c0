package dev.linden.nemesis;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Jepsen's node specs: which nodes a fault hits, resolved when it is injected. */
public final class Targets {
    public static final List<String> SPECS = List.of("one", "minority", "majority", "all", "leader");

    private Targets() {}

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
            default:
                throw new IllegalArgumentException("unknown node spec '" + spec + "' (one of " + SPECS + ")");
        }
        List<Integer> out = new ArrayList<>(ns.subList(0, Math.min(count, n)));
        out.sort(null);
        return out;
    }
}
