package dev.linden.cli;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.kvnode.client.KvClient;
import dev.linden.kvnode.kv.KvResult;
import dev.linden.realenv.LocalCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 24, finding 1, on real node processes with the heap the harness gives them (256 MiB): one ordinary
 * client pipelines 1,000 CAS calls that mismatch against a key holding a value of about 1 MiB, so each
 * answers that value. Before the answer cache had byte bounds every replica kept every answer, threw
 * OutOfMemoryError at the same log index, and died again replaying it. Now all three nodes must still
 * answer, take a write and read it back, and a restarted node must replay the same entries and catch up.
 */
class AnswerCacheBoundTest {
    private static final List<String> JVM = List.of("-Xmx256m");
    private static final int CAS_CALLS = 1_000;

    @TempDir
    Path dir;

    private LocalCluster c;
    private KvClient k;

    @AfterEach
    void cleanUp() {
        if (k != null) {
            k.close();
        }
        for (int i = 1; c != null && i <= c.nodes; i++) {
            c.killNode(i);
        }
    }

    private String logs() {
        return c == null ? "" : c.logTails(15);
    }

    @Test
    void largeAnswersPipelinedByOneClientLeaveEveryReplicaAliveAndReplayable() throws Exception {
        long startMillis = System.currentTimeMillis();
        c = new LocalCluster(dir.resolve("c"), 3, ProcessClusterFixture.basePort());
        c.writeLayout();
        for (int i = 1; i <= 3; i++) {
            c.startNode(i, false, JVM);
        }
        c.markExisting();
        k = c.client(new KvClient.Options(5_000, 30_000, 1024));
        int leader = c.awaitLeader(k, 30_000).orElseThrow(() -> new AssertionError("no leader" + logs()));
        String big = "v".repeat((1 << 20) - 64);
        assertEquals(KvResult.Status.OK, k.await(k.put("big", big)).status(), logs());

        // Only the statuses are kept: the test JVM need not hold a gibibyte of answers either.
        List<CompletableFuture<String>> outcomes = new ArrayList<>();
        for (int i = 0; i < CAS_CALLS; i++) {
            outcomes.add(k.cas("big", "not-the-value", "x")
                    .handle((r, e) ->
                            r != null ? r.status().name() : e.getClass().getSimpleName() + ": " + e.getMessage()));
        }
        // Each CAS either answers its mismatch or, when the node had no room left to keep or send its answer,
        // ends indeterminate with a message saying so; none may succeed and none may fail otherwise.
        int mismatches = 0;
        int indeterminate = 0;
        List<String> others = new ArrayList<>();
        for (CompletableFuture<String> f : outcomes) {
            String o = f.get(60, TimeUnit.SECONDS);
            if (o.equals("CAS_MISMATCH")) {
                mismatches++;
            } else if (o.startsWith("IndeterminateException: session-expired")
                    || o.startsWith("IndeterminateException: timeout")) {
                indeterminate++;
            } else if (others.size() < 5) {
                others.add(o);
            }
        }
        for (int i = 1; i <= 3; i++) {
            assertTrue(c.process(i).isPresent(), "node " + i + " died" + logs());
            assertTrue(c.status(k, i).isPresent(), "node " + i + " does not answer" + logs());
        }
        assertEquals(CAS_CALLS, mismatches + indeterminate, "unexpected outcomes: " + others + logs());
        assertTrue(mismatches > 0, "no CAS got its answer" + logs());
        assertEquals(big.length(), k.await(k.get("big")).value().length(), "a mismatching CAS changed the value");
        assertEquals(KvResult.Status.OK, k.await(k.put("after", "1")).status(), logs());
        assertEquals("1", k.await(k.get("after")).value(), logs());

        // A restarted follower replays the same entries (no snapshot yet at this log length) and catches up.
        int follower = leader % 3 + 1;
        assertTrue(c.stopNode(follower, 10_000), "node " + follower + " was not running");
        assertEquals(KvResult.Status.OK, k.await(k.put("while-down", "2")).status(), logs());
        c.startNode(follower, false, JVM);
        int now = c.awaitLeader(k, 30_000).orElseThrow(() -> new AssertionError("no leader" + logs()));
        long commit = c.status(k, now).orElseThrow().commitIndex();
        await().atMost(Duration.ofSeconds(30))
                .until(() -> c.status(k, follower)
                        .map(s -> s.appliedIndex() >= commit)
                        .orElse(false));
        for (int i = 1; i <= 3; i++) {
            assertTrue(c.process(i).isPresent(), "node " + i + " died after the restart" + logs());
        }
        assertEquals("2", k.await(k.get("while-down")).value(), logs());
        System.out.println("answer-cache-bound: " + mismatches + " mismatches, " + indeterminate + " indeterminate, "
                + (System.currentTimeMillis() - startMillis) + " ms");
    }
}
