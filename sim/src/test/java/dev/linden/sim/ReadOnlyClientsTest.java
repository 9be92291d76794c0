package dev.linden.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.harness.TestResult;
import dev.linden.harness.TestSpec;
import dev.linden.workloads.HistoryOp;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** {@code --read-only-clients}: the first threads' processes only read, the others run the workload. */
class ReadOnlyClientsTest {
    @Test
    void theFirstThreadsOnlyReadAndTheRestStillWrite() {
        TestSpec spec = Simulation.test()
                .nodes(3)
                .workload("kv")
                .keys(2)
                .nemesis("kill,partition")
                .concurrency(5)
                .readOnlyClients(2)
                .timeLimitSeconds(10)
                .seed(11)
                .build();
        TestResult r = spec.run();
        assertTrue(r.passed(), r.summary());
        Set<String> readerOps = new TreeSet<>();
        Set<String> writerOps = new TreeSet<>();
        int readerReads = 0;
        for (HistoryOp op : r.history()) {
            if (op.nemesis() || op.finalPhase()) {
                continue;
            }
            boolean reader = op.process() % 5 < 2;
            (reader ? readerOps : writerOps).add(op.f());
            readerReads += reader ? 1 : 0;
        }
        assertEquals(Set.of("read"), readerOps);
        assertTrue(writerOps.containsAll(Set.of("read", "write", "cas")), writerOps.toString());
        assertTrue(readerReads > 100, readerReads + " operations of the readers");
        assertTrue(spec.replayCommand().contains("--read-only-clients 2"), spec.replayCommand());
        assertThrows(
                IllegalArgumentException.class,
                () -> Simulation.test().workload("set").readOnlyClients(1).build());
        assertThrows(
                IllegalArgumentException.class,
                () -> Simulation.test().concurrency(2).readOnlyClients(2).build());
    }
}
