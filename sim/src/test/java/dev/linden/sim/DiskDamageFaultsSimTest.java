package dev.linden.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.harness.TestResult;
import dev.linden.nemesis.DiskDamageScenario;
import dev.linden.workloads.HistoryOp;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The disk-damage faults in the simulator: each says exactly what it destroyed, and the monitors do not
 * mistake the damage itself for the cluster's fault. Alone (the leader stays up and repairs the damaged
 * node) a run stays valid; it is with a lagging node and a lost leader that a node voting with log it no
 * longer holds loses acknowledged writes (see the README).
 */
class DiskDamageFaultsSimTest {
    private static List<Map<?, ?>> evidence(TestResult r, String f) {
        return r.history().stream()
                .filter(HistoryOp::nemesis)
                .filter(o -> o.f().equals(f))
                .filter(o -> o.value() instanceof Map<?, ?> m && m.containsKey("effect"))
                .<Map<?, ?>>map(o -> (Map<?, ?>) o.value())
                .toList();
    }

    private static TestResult run(String fault, long seed) {
        TestResult r = Simulation.test()
                .nodes(3)
                .nemesis(fault)
                .timeLimitSeconds(8)
                .seed(seed)
                .build()
                .run();
        assertEquals(0, r.exitCode(), r.summary());
        return r;
    }

    @Test
    void loseTailCutsSyncedRecordsAtABoundaryOrInsideOneAndSaysWhich() {
        Set<Object> cuts = new HashSet<>();
        for (long seed = 1; seed <= 6; seed++) {
            for (Map<?, ?> e : evidence(run("lose-tail", seed), "lose-tail")) {
                cuts.add(e.get("cut"));
                long lost = ((Number) e.get("records-lost")).longValue();
                assertTrue(lost >= 1 && lost <= ((Number) e.get("records-in-segment")).longValue(), e.toString());
                String[] range = String.valueOf(e.get("indexes-lost")).split("\\.\\.");
                long ends = ((Number) e.get("log-ends-at-index")).longValue();
                assertTrue(ends < Long.parseLong(range[0]), "the log ends before what was cut: " + e);
                assertTrue(((Number) e.get("bytes-removed")).longValue() > 0, e.toString());
                assertTrue(String.valueOf(e.get("file")).matches("wal-\\d{10}\\.seg"), e.toString());
                assertEquals(true, e.get("restarted"), e.toString());
            }
        }
        assertEquals(Set.of("boundary", "inside-record"), cuts);
    }

    @Test
    void loseSegmentsKeepsHardStateAndIdentity() {
        Map<?, ?> e = evidence(run("lose-segments", 2), "lose-segments").get(0);
        assertTrue(
                ((List<?>) e.get("files-deleted"))
                        .stream().allMatch(f -> String.valueOf(f).startsWith("wal-")),
                e.toString());
        assertTrue(((List<?>) e.get("files-kept")).containsAll(List.of("hardstate", "identity")), e.toString());
        assertTrue(((Number) e.get("records-lost")).longValue() > 0, e.toString());
        assertEquals(true, e.get("restarted"), e.toString());
    }

    @Test
    void restartAsNewBootstrapsAnEmptyDiskAndIsNotRefused() {
        Map<?, ?> e = evidence(run("restart-as-new", 3), "restart-as-new").get(0);
        assertEquals("new", e.get("initial-cluster-state"));
        assertTrue(((Number) e.get("files-lost")).longValue() > 0, e.toString());
        assertEquals(true, e.get("restarted"), e.toString());
        assertEquals("", e.get("refused"), e.toString());
    }

    /**
     * The dangerous sequence, made by hand ({@link DiskDamageScenario}): a follower lags, the leader dies,
     * the up-to-date follower loses its log and restarts, the lagging one resumes. A correct cluster stays
     * valid: the damaged node finds its loss and abstains from elections until a later leader repaired it (on
     * the code before that, every one of the three was invalid: leader completeness).
     */
    @Test
    void aDamagedNodeDoesNotHelpALaggingOneForgetCommittedEntries() {
        List<String> invalid = new ArrayList<>();
        for (String f : List.of("lose-tail", "lose-segments", "restart-as-new")) {
            TestResult r = Simulation.test()
                    .nodes(3)
                    .timeLimitSeconds(10)
                    .seed(1)
                    .nemesisGenerator(
                            DiskDamageScenario.whileAFollowerLagsTheLeaderDies(DiskDamageScenario.damage(f), 1_000))
                    .build()
                    .run();
            assertEquals(1, evidence(r, f).size(), f + " did nothing: " + r.summary());
            if (r.exitCode() != 0) {
                Object cluster = ((Map<?, ?>) r.results().get("checks")).get("cluster");
                invalid.add(f + ": " + r.summary() + " " + (cluster instanceof Map<?, ?> m ? m.get("why") : cluster));
            }
        }
        assertEquals(List.of(), invalid);
    }

    /** A node that trusts a cut or emptied WAL (the trust-lost-log canary) is caught when it starts again. */
    @Test
    void aNodeThatTrustsALostLogIsCaughtWhenItStarts() {
        for (String f : List.of("lose-tail", "lose-segments")) {
            TestResult r = Simulation.test(new SimOptions(Set.of(SimOptions.Canary.TRUST_LOST_LOG)))
                    .nodes(3)
                    .nemesis(f)
                    .timeLimitSeconds(8)
                    .seed(1)
                    .build()
                    .run();
            assertEquals(1, r.exitCode(), f + ": " + r.summary());
            Object cluster = ((Map<?, ?>) r.results().get("checks")).get("cluster");
            assertTrue(String.valueOf(cluster).contains("reported no lost log"), f + ": " + cluster);
        }
    }
}
