package dev.linden.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.harness.TestResult;
import dev.linden.harness.TestSpec;
import dev.linden.kvadapter.KvApi;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Ranges and transactions under the simulator's faults (issue 26): every workload through the transaction API
 * (single-key ranges read, transactions write, compare and append) is judged by the same checks as the plain
 * one, and a state machine that runs retried commands twice is caught there too, so a transaction retried
 * across leader changes and lost answers is shown to run once.
 */
class TxnApiSimTest {
    private static final SimOptions TXN = SimOptions.defaults().withKvApi(KvApi.TXN);

    @Test
    void everyWorkloadThroughTransactionsIsValidUnderFaults() {
        for (String workload : List.of("kv", "list-append", "register")) {
            for (long seed = 1; seed <= 3; seed++) {
                TestSpec spec = Simulation.test(TXN)
                        .nodes(3)
                        .workload(workload)
                        .nemesis("partition,pause,kill,loss")
                        .timeLimitSeconds(15)
                        .seed(seed)
                        .build();
                assertEquals("txn", spec.options().get("kv-api"), "test.json says which API ran");
                TestResult r = spec.run();
                assertEquals(0, r.exitCode(), workload + " seed " + seed + ": " + r.summary());
            }
        }
    }

    @Test
    void retriedTransactionsRunTwiceWithoutSessionsAndTheChecksSeeIt() {
        SimOptions noDedup = new SimOptions(Set.of(SimOptions.Canary.NO_DEDUP)).withKvApi(KvApi.TXN);
        List<Long> caught = new ArrayList<>();
        for (long seed = 1; seed <= 10 && caught.isEmpty(); seed++) {
            TestResult r = Simulation.test(noDedup)
                    .nodes(3)
                    .workload("list-append")
                    .nemesis("loss,kill,partition,pause")
                    .timeLimitSeconds(15)
                    .seed(seed)
                    .build()
                    .run();
            if (r.exitCode() == 1) {
                caught.add(seed);
            }
        }
        assertTrue(!caught.isEmpty(), "appends by transaction, run twice on retry, were never caught in 10 seeds");
    }
}
