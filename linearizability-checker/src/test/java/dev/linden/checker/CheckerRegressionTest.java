package dev.linden.checker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.checker.history.History;
import dev.linden.checker.history.HistoryFormat;
import dev.linden.checker.history.HistoryReader;
import dev.linden.checker.model.Models;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Histories that once defeated the checker, pinned. */
class CheckerRegressionTest {
    private static final Checker.Options OPTIONS =
            Checker.Options.defaults().withTimeLimit(Duration.ofSeconds(20)).withParallelism(1);

    @Test
    void anUnproducibleReadEndsTheSearchAtOnce() throws Exception {
        // jqwik found it: 26 appends from 5 processes, then a read of a string no appends can spell. The
        // search exhausted every interleaving (17M steps) before it could say "not linearizable".
        History h = RandomHistories.corruptOneRead(
                RandomHistories.generate(-219826, RandomHistories.Kind.APPEND, 26, 5, 1, 0.1), -219826);
        long t0 = System.nanoTime();
        CheckResult r = Checker.check(h, Models.byName("append"), OPTIONS);
        assertEquals(Verdict.NOT_LINEARIZABLE, r.verdict());
        assertTrue((System.nanoTime() - t0) / 1_000_000 < 5_000);
        assertTrue(r.keys().get(0).counterexample().op().f().equals("get"));
    }

    @Test
    void aRegisterReadOfAValueNothingStoredIsIllegalWithoutSearching() throws Exception {
        History h = RandomHistories.corruptOneRead(
                RandomHistories.generate(99, RandomHistories.Kind.CAS_REGISTER, 80, 6, 1, 0.3), 99);
        CheckResult r = Checker.check(h, Models.byName("kv"), OPTIONS);
        assertEquals(Verdict.NOT_LINEARIZABLE, r.verdict());
        assertTrue(
                r.keys().get(0).counterexample().explanation().contains("no operation ever wrote"),
                r.keys().get(0).counterexample().explanation());
    }

    /**
     * Found by jqwik (verdictIsTheSameWithAndWithoutPartitioning): symmetry breaking grouped identical
     * indeterminate writes by function and value only, so in one search over all keys "write k0 1" had to
     * happen before "write k2 1" could, and a read of k2 = 1 with k0 still unwritten looked impossible.
     */
    @Test
    void identicalIndeterminateWritesToDifferentKeysAreNotInterchangeable() throws Exception {
        String edn = String.join(
                "\n",
                "{:type :invoke, :f :write, :key \"k0\", :value 1, :process 0, :time 1}",
                "{:type :info, :f :write, :key \"k0\", :value 1, :process 0, :time 2}",
                "{:type :invoke, :f :write, :key \"k2\", :value 1, :process 1, :time 3}",
                "{:type :info, :f :write, :key \"k2\", :value 1, :process 1, :time 4}",
                "{:type :invoke, :f :read, :key \"k2\", :value nil, :process 2, :time 5}",
                "{:type :ok, :f :read, :key \"k2\", :value 1, :process 2, :time 6}",
                "{:type :invoke, :f :read, :key \"k0\", :value nil, :process 2, :time 7}",
                "{:type :ok, :f :read, :key \"k0\", :value nil, :process 2, :time 8}");
        History h = HistoryReader.parse("keys.edn", edn, HistoryFormat.EDN);
        assertEquals(
                Verdict.LINEARIZABLE,
                Checker.check(h, Models.byName("kv"), OPTIONS).verdict());
        assertEquals(
                Verdict.LINEARIZABLE,
                Checker.check(h, Models.byName("kv"), OPTIONS.withPartition(false))
                        .verdict());
    }
}
