package dev.linden.nemesis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Partition shapes and node specs, as Jepsen's grudges and db-nodes define them. */
class GrudgesTest {
    private static final List<Integer> FIVE = List.of(1, 2, 3, 4, 5);

    private static Set<Integer> reachable(int from, Set<Grudges.Link> blocked) {
        Set<Integer> out = new HashSet<>();
        for (int to : FIVE) {
            if (to == from || !blocked.contains(new Grudges.Link(from, to))) {
                out.add(to);
            }
        }
        return out;
    }

    @Test
    void majoritiesRingGivesEveryNodeADifferentMajority() {
        Set<Grudges.Link> blocked = Grudges.of("majorities-ring", FIVE, -1, new SplittableRandom(3));
        Set<Set<Integer>> views = new HashSet<>();
        for (int n : FIVE) {
            Set<Integer> sees = reachable(n, blocked);
            assertEquals(3, sees.size(), "node " + n + " sees " + sees);
            views.add(sees);
        }
        assertEquals(5, views.size(), "two nodes share a majority");
    }

    @Test
    void leaderIsolationCutsTheLeaderBothWays() {
        Set<Grudges.Link> blocked = Grudges.of("leader", FIVE, 4, new SplittableRandom(1));
        assertEquals(Set.of(4), reachable(4, blocked));
        for (int n : List.of(1, 2, 3, 5)) {
            assertEquals(Set.of(1, 2, 3, 5), reachable(n, blocked));
        }
    }

    @Test
    void oneWayDropsOnlyTheVictimsMessages() {
        Set<Grudges.Link> blocked = Grudges.of("one-way", FIVE, -1, new SplittableRandom(2));
        assertEquals(4, blocked.size());
        int victim = blocked.iterator().next().from();
        assertTrue(blocked.stream().allMatch(l -> l.from() == victim));
    }

    @Test
    void halvesAndBridge() {
        Set<Grudges.Link> halves = Grudges.of("halves", FIVE, -1, new SplittableRandom(5));
        assertEquals(2 * 2 * 3, halves.size());
        Set<Grudges.Link> bridge = Grudges.of("bridge", FIVE, -1, new SplittableRandom(5));
        long bridges =
                FIVE.stream().filter(n -> reachable(n, bridge).size() == 5).count();
        assertEquals(1, bridges, "exactly one node reaches both sides");
        assertEquals(
                Set.of(), Grudges.of("one", List.of(1), -1, new SplittableRandom(1)), "one node alone: nothing to cut");
    }

    @Test
    void nodeSpecs() {
        SplittableRandom r = new SplittableRandom(9);
        assertEquals(1, Targets.resolve("one", FIVE, -1, r).size());
        assertEquals(2, Targets.resolve("minority", FIVE, -1, r).size());
        assertEquals(3, Targets.resolve("majority", FIVE, -1, r).size());
        assertEquals(FIVE, Targets.resolve("all", FIVE, -1, r));
        assertEquals(List.of(2), Targets.resolve("leader", FIVE, 2, r));
        assertEquals(1, Targets.resolve("minority", List.of(1, 2, 3), -1, r).size());
    }
}
