package dev.linden.sim;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.harness.TestResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Planted core bugs that the simulator catches by a monitor are caught by the event-based monitor too (the
 * one real-process runs are judged by), from the nodes' events alone.
 */
class EventMonitorCanariesTest {
    /** What the event monitor found in the first seeds that it caught, up to {@code seeds} seeds. */
    private static List<String> found(String bug, String nemesis, int seeds) {
        for (long seed = 1; seed <= seeds; seed++) {
            TestResult r = Simulation.test(SimOptions.withBug(bug))
                    .nodes(3)
                    .timeLimitSeconds(20)
                    .nemesis(nemesis)
                    .seed(seed)
                    .build()
                    .run();
            Map<?, ?> cluster = (Map<?, ?>) ((Map<?, ?>) r.results().get("checks")).get("cluster");
            List<String> whats = new ArrayList<>();
            for (Object v : (List<?>) cluster.get("violations-at")) {
                whats.add(String.valueOf(((Map<?, ?>) v).get("what")));
            }
            if (!whats.isEmpty()) {
                return whats;
            }
        }
        return List.of();
    }

    @Test
    void aCommitByCountingOldEntriesIsCaughtFromEvents() {
        List<String> found = found("commit-by-counting", "partition,kill", 5);
        assertTrue(found.stream().anyMatch(w -> w.startsWith("commit rule")), found.toString());
    }

    @Test
    void aVoteNotMadeDurableIsCaughtFromEvents() {
        List<String> found = found("vote-not-persisted", "kill,partition", 3);
        assertTrue(found.stream().anyMatch(w -> w.startsWith("durable vote")), found.toString());
    }
}
