package dev.linden.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.checker.history.OpType;
import dev.linden.harness.TestResult;
import dev.linden.harness.TestSpec;
import dev.linden.nemesis.HostileFault;
import dev.linden.realenv.LocalEnvOptions;
import dev.linden.realenv.LocalTestCluster;
import dev.linden.workloads.HistoryOp;
import dev.linden.workloads.gen.Gen;
import dev.linden.workloads.gen.Generator;
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

    private static Generator startHoldStop(HostileFault start, HostileFault.Attack attack) {
        return Gen.phases(List.of(
                Gen.once(start.op()), Gen.sleep(1_500 * MS), Gen.once(new HostileFault.StopAttack(attack).op())));
    }

    @Test
    void eachHostileFaultRunsAndSaysWhatItDidAndWhatTheNodesDid() throws Exception {
        Generator script = Gen.phases(List.of(
                Gen.sleep(1_000 * MS),
                startHoldStop(
                        new HostileFault.StartClientConnFlood("leader", 1_100), HostileFault.Attack.CLIENT_CONN_FLOOD),
                startHoldStop(
                        new HostileFault.StartHalfFrames("peer", "one", 2, 1 << 20), HostileFault.Attack.HALF_FRAMES),
                startHoldStop(new HostileFault.StartPeerConnFlood("one", 300), HostileFault.Attack.PEER_CONN_FLOOD),
                startHoldStop(new HostileFault.StartAnswerFlood(20, 4_096), HostileFault.Attack.ANSWER_FLOOD),
                startHoldStop(new HostileFault.StartForgedPeer("none", 1_000), HostileFault.Attack.FORGED_PEER)));
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
