package dev.linden.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.linden.harness.EdnText;
import dev.linden.harness.TestResult;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Same seed, same run: the history byte for byte and the trace hash, also with runs side by side. */
class DeterminismTest {
    private static TestResult run(long seed, String workload) {
        return Simulation.test()
                .nodes(3)
                .workload(workload)
                .timeLimitSeconds(8)
                .seed(seed)
                .build()
                .run();
    }

    private static List<String> edn(TestResult r) {
        return r.history().stream().map(EdnText::op).toList();
    }

    private static Object traceHash(TestResult r) {
        return ((Map<?, ?>) r.results().get("run")).get("trace-hash");
    }

    @Test
    void sameSeedSameHistoryAndTrace() {
        for (String w : List.of("kv", "set")) {
            TestResult a = run(42, w);
            TestResult b = run(42, w);
            assertEquals(0, a.exitCode(), a.summary());
            assertEquals(edn(a), edn(b), "histories of the same seed differ");
            assertEquals(traceHash(a), traceHash(b));
        }
    }

    @Test
    void runsSideBySideDoNotDisturbEachOther() throws InterruptedException {
        TestResult[] results = new TestResult[2];
        Thread t1 = new Thread(() -> results[0] = run(99, "list-append"));
        Thread t2 = new Thread(() -> results[1] = run(99, "list-append"));
        t1.start();
        t2.start();
        t1.join();
        t2.join();
        assertEquals(edn(results[0]), edn(results[1]));
        assertEquals(edn(results[0]), edn(run(99, "list-append")));
    }

    @Test
    void differentSeedsDiffer() {
        assertNotEquals(traceHash(run(1, "kv")), traceHash(run(2, "kv")));
    }
}
