package dev.linden.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.checker.history.OpType;
import dev.linden.harness.TestResult;
import dev.linden.harness.TestSpec;
import dev.linden.realenv.LocalEnvOptions;
import dev.linden.realenv.LocalTestCluster;
import dev.linden.workloads.HistoryOp;
import dev.linden.workloads.gen.Gen;
import dev.linden.workloads.gen.Generator;
import dev.linden.workloads.gen.Op;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hostile faults (issue 24) on real node processes, each started and stopped once, lightly (a few
 * connections, small frames, a small answer flood) so the run is short: each runs and says what it did and
 * what the nodes did, whether or not the nodes survive it (the base code does not survive the full-size
 * faults; the fixes must not change what this test asserts). Nothing it started outlives the run.
 */
class HostileFaultsTest {
    private static final long MS = 1_000_000L;
    /** In this order: the forged peer last, as it may leave followers dead (on the base code it does). */
    private static final List<String> FAULTS =
            List.of("client-conn-flood", "half-frames", "peer-conn-flood", "answer-flood", "forged-peer");

    @TempDir
    Path dir;

    private static Generator startHoldStop(String fault, Map<String, Object> value) {
        return Gen.phases(List.of(
                Gen.once(Op.fault("start-" + fault, value)),
                Gen.sleep(1_500 * MS),
                Gen.once(Op.fault("stop-" + fault, null))));
    }

    @Test
    void eachHostileFaultRunsAndSaysWhatItDidAndWhatTheNodesDid() throws Exception {
        Generator script = Gen.phases(List.of(
                Gen.sleep(1_000 * MS),
                startHoldStop("client-conn-flood", Map.of("targets", "leader", "connections-per-node", 1_100L)),
                startHoldStop(
                        "half-frames",
                        Map.of("port", "peer", "targets", "one", "frames-per-node", 2L, "frame-bytes", 1L << 20)),
                startHoldStop("peer-conn-flood", Map.of("targets", "one", "connections-per-node", 300L)),
                startHoldStop("answer-flood", Map.of("calls", 20L, "value-bytes", 4_096L)),
                startHoldStop("forged-peer", Map.of("credentials", "none", "term-jump", 1_000L))));
        TestResult r = TestSpec.builder()
                .cluster("local", LocalTestCluster.factory(LocalEnvOptions.defaults()))
                .phaseWallLimitMillis(60_000)
                .nodes(3)
                .workload("kv")
                .timeLimitSeconds(28)
                .seed(24)
                .nemesisGenerator(script)
                .store(dir.resolve("store"))
                .build()
                .run();
        List<String> missing = new ArrayList<>();
        for (String f : FAULTS) {
            for (String op : List.of("start-" + f, "stop-" + f)) {
                List<Map<?, ?>> done = completions(r, op);
                boolean said = done.size() == 1
                        && (done.get(0).containsKey("effect") || done.get(0).containsKey("no-effect"));
                boolean nodes = done.size() == 1
                        && done.get(0).containsKey("nodes")
                        && done.get(0).containsKey("nodes-exited-by-themselves");
                if (!said || (op.startsWith("start-") && !nodes)) {
                    missing.add(op + ": " + done);
                }
            }
        }
        assertEquals(List.of(), missing, r.summary());
        Map<?, ?> flood = evidence(r, "start-client-conn-flood");
        assertEquals(1_100L, ((Number) flood.get("opened")).longValue(), flood.toString());
        Map<?, ?> answers = evidence(r, "start-answer-flood");
        assertEquals(20L, ((Number) answers.get("calls")).longValue(), answers.toString());
        Map<?, ?> helpers = evidence(r, "stop-peer-conn-flood");
        assertTrue(String.valueOf(helpers.get("helpers-said")).contains("closed 300"), helpers.toString());
        // Every node process and helper process is gone once the run returns.
        long deadline = System.currentTimeMillis() + 10_000;
        while (ProcessHandle.current().descendants().anyMatch(ProcessHandle::isAlive)
                && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
        }
        assertEquals(
                List.of(),
                ProcessHandle.current()
                        .descendants()
                        .filter(ProcessHandle::isAlive)
                        .map(p -> p.pid() + " " + p.info().commandLine().orElse("?"))
                        .toList());
    }

    /** The values of {@code f}'s completions. */
    private static List<Map<?, ?>> completions(TestResult r, String f) {
        return r.history().stream()
                .filter(HistoryOp::nemesis)
                .filter(o -> o.f().equals(f))
                .filter(o -> o.type() != OpType.INVOKE)
                .filter(o -> o.value() instanceof Map<?, ?>)
                .<Map<?, ?>>map(o -> (Map<?, ?>) o.value())
                .toList();
    }

    private static Map<?, ?> evidence(TestResult r, String f) {
        return completions(r, f).get(0);
    }
}
