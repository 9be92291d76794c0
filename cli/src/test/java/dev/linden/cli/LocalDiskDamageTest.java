package dev.linden.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.harness.TestResult;
import dev.linden.harness.TestSpec;
import dev.linden.nemesis.DiskDamageScenario;
import dev.linden.realenv.LocalEnvOptions;
import dev.linden.realenv.LocalTestCluster;
import dev.linden.workloads.HistoryOp;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The disk-damage faults on real node processes: each kills a node, destroys what it names in the data
 * dir, starts the node again (restart-as-new with the bootstrap command) and says what it destroyed.
 */
class LocalDiskDamageTest {
    @TempDir
    Path dir;

    private TestSpec.Builder local(long seed) {
        return TestSpec.builder()
                .cluster("local", LocalTestCluster.factory(LocalEnvOptions.defaults()))
                .phaseWallLimitMillis(120_000)
                .nodes(3)
                .workload("kv")
                .timeLimitSeconds(10)
                .seed(seed)
                .store(dir.resolve("store"));
    }

    private static List<Map<?, ?>> evidence(TestResult r, String f) {
        return r.history().stream()
                .filter(HistoryOp::nemesis)
                .filter(o -> o.f().equals(f))
                .filter(o -> o.value() instanceof Map<?, ?> m && m.containsKey("effect"))
                .<Map<?, ?>>map(o -> (Map<?, ?>) o.value())
                .toList();
    }

    /** Alone, with the leader up to repair the damaged node, a run stays valid; the evidence names the damage. */
    @Test
    void aDamagedFollowerIsRestartedAndSaysWhatItLost() {
        TestResult r = local(3).nemesis("lose-tail").build().run();
        assertEquals(0, r.exitCode(), r.summary());
        Map<?, ?> e = evidence(r, "lose-tail").get(0);
        assertTrue(String.valueOf(e.get("file")).matches("wal/wal-\\d{10}\\.seg"), e.toString());
        assertTrue(((Number) e.get("records-lost")).longValue() >= 1, e.toString());
        assertTrue(String.valueOf(e.get("indexes-lost")).matches("\\d+\\.\\.\\d+"), e.toString());
        assertTrue(List.of("boundary", "inside-record").contains(e.get("cut")), e.toString());
    }

    /**
     * The dangerous sequence by hand ({@link DiskDamageScenario}); valid: a damaged node abstains from
     * elections until a later leader repaired it, and a node bootstrapped anew is refused by its peers. On the
     * code before that, all three were invalid (acknowledged writes lost).
     */
    @Test
    void aDamagedNodeDoesNotHelpALaggingOneForgetCommittedEntries() {
        List<String> invalid = new ArrayList<>();
        for (String f : List.of("lose-tail", "lose-segments", "restart-as-new")) {
            TestResult r = local(1).nemesisGenerator(
                            DiskDamageScenario.whileAFollowerLagsTheLeaderDies(DiskDamageScenario.damage(f), 2_000))
                    .build()
                    .run();
            assertEquals(1, evidence(r, f).size(), f + " did nothing: " + r.summary());
            if (r.exitCode() != 0) {
                invalid.add(f + ": " + r.summary());
            }
        }
        assertEquals(List.of(), invalid);
    }

    /**
     * A node that trusts a cut WAL (the trust-lost-log canary) is caught by what it reports when it starts,
     * whether or not a client ever notices: the cluster check names the property and the cut.
     */
    @Test
    void aNodeThatTrustsACutLogFailsTheClusterCheck() {
        LocalEnvOptions d = LocalEnvOptions.defaults();
        LocalEnvOptions bug = new LocalEnvOptions(
                List.of("trust-lost-log"), d.heap(), d.net(), false, true, false, null, false, d.node(), d.kvApi());
        TestResult r = TestSpec.builder()
                .cluster("local", LocalTestCluster.factory(bug))
                .phaseWallLimitMillis(120_000)
                .nodes(3)
                .workload("kv")
                .timeLimitSeconds(10)
                .seed(5)
                .store(dir.resolve("store-bug"))
                .nemesis("lose-tail")
                .build()
                .run();
        assertEquals(1, r.exitCode(), r.summary());
        Map<?, ?> cluster = (Map<?, ?>) ((Map<?, ?>) r.results().get("checks")).get("cluster");
        assertTrue(
                String.valueOf(cluster.get("why")).startsWith("lost log reported: lose-tail cut "), cluster.toString());
    }
}
