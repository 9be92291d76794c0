package dev.linden.checker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.checker.history.History;
import dev.linden.checker.model.Models;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Histories that once defeated the checker, pinned. */
class CheckerRegressionTest {
    private static final Checker.Options OPTIONS = Checker.Options.defaults().withTimeLimit(Duration.ofSeconds(20))
            .withParallelism(1);

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
        assertTrue(r.keys().get(0).counterexample().explanation().contains("no operation ever wrote"),
                r.keys().get(0).counterexample().explanation());
    }
}
