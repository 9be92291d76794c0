package dev.linden.nemesis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The disk-damage family: named one by one, kept out of {@code all} for now, and its operations' shapes. */
class DiskDamageFaultsTest {
    private static final Set<FaultKind> DAMAGE =
            EnumSet.of(FaultKind.LOSE_TAIL, FaultKind.LOSE_SEGMENTS, FaultKind.RESTART_AS_NEW);

    @Test
    void eachIsNameableAndTheFamilyNamesAllThree() {
        assertEquals(
                EnumSet.of(FaultKind.LOSE_TAIL, FaultKind.LOSE_SEGMENTS, FaultKind.RESTART_AS_NEW, FaultKind.KILL),
                FaultKind.parseList("lose-tail,lose-segments,restart-as-new,kill"));
        assertEquals(DAMAGE, FaultKind.parseList("disk-damage"));
        assertEquals("disk-damage", FaultKind.format(DAMAGE));
        for (String s : List.of("lose-tail", "all,lose-tail", "disk-damage,kill", "all,disk-damage")) {
            assertEquals(FaultKind.parseList(s), FaultKind.parseList(FaultKind.format(FaultKind.parseList(s))), s);
        }
    }

    @Test
    void allHoldsThemNowThatANodeThatLostLogAbstains() {
        Set<FaultKind> all = FaultKind.parseList("all");
        for (FaultKind k : DAMAGE) {
            assertTrue(all.contains(k), k + " is not in all");
            assertTrue(k.destroysData(), k + " destroys data");
        }
        Set<FaultKind> allButHostile = EnumSet.allOf(FaultKind.class);
        allButHostile.removeIf(k -> k.family().equals("hostile")); // issue 24: not survived yet, not in all
        assertEquals(allButHostile, all);
        assertEquals("all", FaultKind.format(all));
    }

    @Test
    void operationsCarryTheirTargetAndCut() {
        SplittableRandom r = new SplittableRandom(7);
        Set<Object> targets = new HashSet<>();
        Set<Object> cuts = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            Fault f = FaultOps.start(FaultKind.LOSE_TAIL, r, 3);
            Map<?, ?> v = f.value();
            assertEquals("lose-tail", f.name());
            long k = ((Number) v.get("records")).longValue();
            assertTrue(k >= 1 && k <= FaultOps.MAX_TAIL_RECORDS_LOST, "records " + k);
            targets.add(v.get("targets"));
            cuts.add(v.get("cut"));
            assertEquals(null, FaultOps.stop(FaultKind.LOSE_TAIL), "lose-tail undoes itself");
        }
        assertEquals(Set.of("one", Targets.UP_TO_DATE_FOLLOWER), targets);
        assertEquals(Set.of("boundary", "inside-record"), cuts);
        assertEquals(
                "lose-segments", FaultOps.start(FaultKind.LOSE_SEGMENTS, r, 3).name());
        assertEquals(
                "restart-as-new", FaultOps.start(FaultKind.RESTART_AS_NEW, r, 3).name());
    }

    @Test
    void theUpToDateFollowerIsTheFurthestNodeButTheLeader() {
        SplittableRandom r = new SplittableRandom(1);
        assertEquals(2, Targets.upToDateFollower(Map.of(1, 90L, 2, 80L, 3, 50L), 1, r));
        assertEquals(3, Targets.upToDateFollower(Map.of(1, 90L, 2, 80L, 3, 85L), 1, r));
        assertEquals(-1, Targets.upToDateFollower(Map.of(1, 90L), 1, r));
        Set<Integer> tied = new HashSet<>();
        for (int i = 0; i < 50; i++) {
            tied.add(Targets.upToDateFollower(Map.of(1, 9L, 2, 9L, 3, 9L), 2, r));
        }
        assertEquals(Set.of(1, 3), tied);
    }
}
