package dev.linden.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.harness.TestResult;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Workers share a client process's core, as an application's threads share a KvClient: the core holds
 * several requests open, and commands go out acknowledging only below the lowest open sequence number,
 * under crashes and partitions, with the run still valid (no acknowledged write lost, linearizable).
 */
class PipelinedClientsTest {
    private static Map<?, ?> run(SimOptions options) {
        TestResult r = Simulation.test(options)
                .nodes(3)
                .workload("kv")
                .concurrency(6)
                .nemesis("partition,kill")
                .timeLimitSeconds(10)
                .seed(11)
                .build()
                .run();
        assertEquals(0, r.exitCode(), r.summary());
        return (Map<?, ?>) r.results().get("run");
    }

    @Test
    void clientCoresHoldSeveralRequestsOpenUnderFaults() {
        Map<?, ?> facts = run(SimOptions.defaults());
        assertEquals(SimOptions.DEFAULT_WORKERS_PER_CLIENT, facts.get("workers-per-client"));
        assertTrue(((Number) facts.get("max-open-requests-per-client")).intValue() >= 2, facts.toString());
        assertTrue(((Number) facts.get("requests-sent-with-a-lower-seq-open")).longValue() > 0, facts.toString());
    }

    @Test
    void oneWorkerPerClientNeverPipelines() {
        Map<?, ?> facts = run(SimOptions.defaults().withWorkersPerClient(1));
        assertEquals(1, ((Number) facts.get("max-open-requests-per-client")).intValue(), facts.toString());
        assertEquals(0L, ((Number) facts.get("requests-sent-with-a-lower-seq-open")).longValue(), facts.toString());
    }
}
