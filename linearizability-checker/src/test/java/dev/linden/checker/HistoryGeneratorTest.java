package dev.linden.checker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.linden.checker.history.History;
import org.junit.jupiter.api.Test;

class HistoryGeneratorTest {
    @Test
    void generatedHistoriesAreLinearizableAndAPlantedStaleReadIsCaught() throws Exception {
        for (long seed = 1; seed <= 10; seed++) {
            History ok = HistoryGenerator.generate(seed, 3_000, 10, 20, false);
            assertEquals(6_000, ok.events().size());
            assertEquals(
                    Verdict.LINEARIZABLE,
                    Checker.check(ok, null, Checker.Options.defaults()).verdict(),
                    "seed " + seed);
            History bad = HistoryGenerator.generate(seed, 3_000, 10, 20, true);
            CheckResult r = Checker.check(bad, null, Checker.Options.defaults());
            assertEquals(Verdict.NOT_LINEARIZABLE, r.verdict(), "seed " + seed);
            assertEquals(1, r.keysWith(Verdict.NOT_LINEARIZABLE).size(), "exactly the key of the stale read");
        }
    }

    @Test
    void theSameSeedGivesTheSameHistory() {
        assertEquals(
                HistoryGenerator.generate(7, 500, 3, 5, true).events(),
                HistoryGenerator.generate(7, 500, 3, 5, true).events());
    }
}
