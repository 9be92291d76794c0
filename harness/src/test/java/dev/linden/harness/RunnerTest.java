package dev.linden.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.checker.history.OpType;
import dev.linden.workloads.Client;
import dev.linden.workloads.Completion;
import dev.linden.workloads.HistoryOp;
import dev.linden.workloads.Workload;
import dev.linden.workloads.check.Validity;
import dev.linden.workloads.gen.Gen;
import dev.linden.workloads.gen.Op;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runner, the store and analyze, on a fake cluster whose behavior each test chooses. */
class RunnerTest {
    @TempDir
    Path tmp;

    private static TestSpec.Builder spec(FakeCluster c, String workload) {
        return TestSpec.builder()
                .cluster("fake", (seed, nodes) -> c)
                .nodes(1)
                .workload(workload)
                .nemesis("partition,kill")
                .timeLimitSeconds(5)
                .seed(11)
                .recoveryWaitMillis(100);
    }

    @Test
    void aValidRunIsStoredInJepsensLayoutAndAnalyzeReproducesIt() throws IOException {
        for (String w : List.of("register", "kv", "list-append", "set")) {
            TestResult r =
                    spec(new FakeCluster(), w).name("t-" + w).store(tmp).build().run();
            assertEquals(0, r.exitCode(), r.summary());
            Path dir = r.storeDir();
            for (String f : List.of(
                    "test.json",
                    "history.edn",
                    "history.json",
                    "history.txt",
                    "results.json",
                    "results.edn",
                    "nodes/n1/node.log")) {
                assertTrue(Files.isRegularFile(dir.resolve(f)), f + " missing in " + dir);
            }
            assertEquals(dir.toRealPath(), tmp.resolve("latest").toRealPath());
            assertEquals(
                    dir.toRealPath(), tmp.resolve("t-" + w).resolve("latest").toRealPath());
            assertEquals(r.history(), StoredRun.history(dir.resolve("history.edn")), "history.edn reads back to " + w);
            Analyze.Outcome a = Analyze.run(dir);
            assertEquals(Validity.TRUE, a.valid(), a.results().toString());
            assertTrue(Files.readString(dir.resolve("results.edn")).startsWith("{:valid? true"));
        }
    }

    @Test
    void theHistoryHoldsFaultsAsNemesisOperationsAndFinalReadsMarked() {
        TestResult r = spec(new FakeCluster(), "kv").build().run();
        List<HistoryOp> nemesis =
                r.history().stream().filter(HistoryOp::nemesis).toList();
        assertTrue(nemesis.size() >= 4, nemesis.toString());
        assertTrue(nemesis.stream().anyMatch(o -> o.f().equals("heal")));
        assertTrue(nemesis.stream().filter(o -> o.type() != OpType.INVOKE).allMatch(o -> o.type() == OpType.INFO));
        long finals = r.history().stream()
                .filter(o -> o.finalPhase() && o.type() == OpType.OK)
                .count();
        assertEquals(5, finals, "one final read per key");
        String edn = EdnText.op(nemesis.get(0));
        assertTrue(edn.contains(":process :nemesis"), edn);
    }

    @Test
    void staleReadsAreInvalidWithTheCounterexampleInResults() throws IOException {
        FakeCluster c = new FakeCluster();
        c.staleReads = true;
        TestResult r = spec(c, "register").store(tmp).build().run();
        assertEquals(1, r.exitCode(), r.summary());
        assertTrue(
                String.valueOf(r.results().get("why")).contains("not linearizable")
                        || String.valueOf(r.results().get("why")).contains("returned"),
                r.summary());
        assertEquals(Validity.FALSE, Analyze.run(r.storeDir()).valid());
    }

    @Test
    void aNemesisThatDidNothingMakesTheRunUnknown() {
        FakeCluster c = new FakeCluster();
        c.nemesisInert = true;
        TestResult r = spec(c, "kv").build().run();
        assertEquals(2, r.exitCode(), r.summary());
        assertTrue(c.faultsApplied > 0);
        assertEquals(
                0, spec(new FakeCluster(), "kv").nemesis("none").build().run().exitCode());
    }

    @Test
    void aClientThatBreaksIsAHarnessErrorAndTheRunIsStillStored() {
        FakeCluster c = new FakeCluster();
        c.clientThrows = true;
        TestResult r = spec(c, "kv").store(tmp).build().run();
        assertEquals(3, r.exitCode());
        assertNotNull(r.error());
        assertTrue(r.error().contains("client exploded"), r.error());
        assertTrue(Files.isRegularFile(r.storeDir().resolve("results.json")));
        assertTrue(Files.isRegularFile(r.storeDir().resolve("history.edn")));
    }

    @Test
    void anOperationThatNeverCompletesCannotHangTheRun() {
        FakeCluster c = new FakeCluster();
        c.clientHangs = true;
        TestResult r = spec(c, "kv").build().run();
        // The hung thread is never free again; the runner's drain deadline (run time) ends the phase and
        // the unfinished invocation is checked as indeterminate.
        assertTrue(r.exitCode() == 0 || r.exitCode() == 2, r.summary());
        long open = r.history().stream().filter(o -> o.type() == OpType.INVOKE).count()
                - r.history().stream().filter(o -> o.type() != OpType.INVOKE).count();
        assertEquals(1, open);
    }

    @Test
    void aProcessWithAnUnknownOutcomeIsRetiredAsJepsenDoes() {
        // A client generator whose first op ends info (a fake that answers info to cas on a missing key).
        FakeCluster c = new FakeCluster() {
            @Override
            public Client client(int thread, Workload w) {
                Client inner = super.client(thread, w);
                return new Client() {
                    public void invoke(Op op, Consumer<Completion> done) {
                        if (op.f().equals("cas")) {
                            scheduler().schedule(1_000_000, () -> done.accept(Completion.info("timeout")));
                        } else {
                            inner.invoke(op, done);
                        }
                    }

                    public void close() {}
                };
            }
        };
        TestResult r = spec(c, "register")
                .concurrency(2)
                .nemesis("none")
                .clientGenerator(Gen.fromFunction(
                        rnd -> rnd.nextInt(4) == 0 ? Op.of("cas", null, List.of(1L, 2L)) : Op.of("read", null, null)))
                .build()
                .run();
        assertTrue(r.history().stream().anyMatch(o -> o.process() >= 2), "no process was retired after info");
        for (HistoryOp op : r.history()) {
            if (op.type() == OpType.INFO && op.client()) {
                int p = op.process();
                assertTrue(
                        r.history().stream()
                                .noneMatch(
                                        o -> o.index() > op.index() && o.process() == p && o.type() == OpType.INVOKE),
                        "process " + p + " invoked again after an info");
            }
        }
    }

    @Test
    void aPhaseThatOutlivesItsWallClockLimitStopsTheRun() {
        FakeCluster c = new FakeCluster() {
            @Override
            public boolean converged() {
                return false; // never converges: the convergence phase would wait its whole run-time limit
            }
        };
        c.slowTicker = true; // ... and a simulated hour costs an hour of wall time
        long t0 = System.nanoTime();
        TestResult r = spec(c, "kv")
                .nemesis("none")
                .timeLimitSeconds(0.2)
                .phaseWallLimitMillis(2_000)
                .convergenceMillis(3_600_000)
                .build()
                .run();
        assertTrue((System.nanoTime() - t0) / 1_000_000 < 20_000, "the run hung");
        assertEquals(3, r.exitCode(), r.summary());
        assertTrue(r.error().contains("wall-clock"), r.error());
    }

    @Test
    void resultsCountOperationsAndLatencies() {
        TestResult r = spec(new FakeCluster(), "kv").build().run();
        Map<?, ?> counts = (Map<?, ?>) r.results().get("counts");
        assertTrue(((Number) counts.get("ok")).longValue() > 500, counts.toString());
        Map<?, ?> lat = (Map<?, ?>) r.results().get("ok-latency-millis");
        assertEquals(1.0, ((Number) lat.get("p50")).doubleValue(), 0.01);
        assertTrue(((List<?>) r.results().get("faults")).size() >= 3);
    }
}
