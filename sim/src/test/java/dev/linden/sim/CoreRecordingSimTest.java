package dev.linden.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.harness.TestResult;
import dev.linden.kvnode.node.CoreReplay;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A seed run with --record-core leaves one recording a node, and each replays its core alone, ready for ready. */
class CoreRecordingSimTest {
    @Test
    void eachNodesRecordedCoreReplaysAlone(@TempDir Path dir) throws Exception {
        Path prefix = dir.resolve("seed7");
        TestResult recorded = Simulation.test(SimOptions.defaults().withRecordCores(prefix))
                .nodes(3)
                .workload("kv")
                .timeLimitSeconds(8)
                .seed(7)
                .build()
                .run();
        TestResult plain = Simulation.test()
                .nodes(3)
                .workload("kv")
                .timeLimitSeconds(8)
                .seed(7)
                .build()
                .run();
        assertEquals(0, recorded.exitCode(), recorded.summary());
        assertEquals(traceHash(plain), traceHash(recorded), "recording must not change the run");
        for (int id = 1; id <= 3; id++) {
            try (InputStream in = Files.newInputStream(dir.resolve("seed7.node-" + id + ".core"))) {
                CoreReplay.Result r = CoreReplay.replay(in);
                assertNull(r.mismatch(), "node " + id + ": " + r);
                assertTrue(r.cores() >= 1 && r.inputs() > 100 && r.readies() > 100, "node " + id + ": " + r);
            }
        }
    }

    private static Object traceHash(TestResult r) {
        return ((Map<?, ?>) r.results().get("run")).get("trace-hash");
    }
}
