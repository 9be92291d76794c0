package dev.linden.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.harness.TestResult;
import dev.linden.harness.TestSpec;
import dev.linden.nemesis.FaultSchedule;
import dev.linden.workloads.check.Validity;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Canaries: deliberately broken clusters must be caught by a sweep of seeds, with the evidence in the
 * results. If one of these passes, the simulator (or a check) has gone blind.
 */
class BrokenVariantsTest {
    private static List<TestResult> sweep(TestSpec.Builder base, int seeds) {
        List<TestResult> out = new ArrayList<>();
        for (long seed = 1; seed <= seeds; seed++) {
            out.add(base.seed(seed).build().run());
        }
        return out;
    }

    private static Map<?, ?> check(TestResult r, String name) {
        return (Map<?, ?>) ((Map<?, ?>) r.results().get("checks")).get(name);
    }

    @Test
    void acknowledgingBeforeFsyncIsCaught() {
        List<TestResult> results =
                sweep(Simulation.test(SimOptions.withBug("fsync-lies")).nodes(3).timeLimitSeconds(15), 12);
        long caught = results.stream().filter(r -> r.exitCode() == 1).count();
        assertTrue(caught >= 2, "fsync-lies caught in only " + caught + " of 12 seeds");
    }

    @Test
    void readsWithoutReadIndexAreCaughtWithACounterexample() {
        List<TestResult> results = sweep(
                Simulation.test(SimOptions.withBug("unsafe-reads"))
                        .nodes(3)
                        .timeLimitSeconds(15)
                        .nemesis("partition,pause,kill")
                        .concurrency(8)
                        .keys(2),
                20);
        List<TestResult> caught =
                results.stream().filter(r -> r.exitCode() == 1).toList();
        assertTrue(!caught.isEmpty(), "stale local reads were never caught in 20 seeds");
        for (TestResult r : caught) {
            Map<?, ?> lin = (Map<?, ?>) check(r, "workload").get("linearizable");
            Map<?, ?> cluster = check(r, "cluster");
            assertTrue(
                    Validity.parse(lin.get("valid")) == Validity.FALSE
                            || Validity.parse(cluster.get("valid")) == Validity.FALSE,
                    r.summary());
            if (Validity.parse(lin.get("valid")) == Validity.FALSE) {
                Map<?, ?> first = (Map<?, ?>) ((List<?>) lin.get("failures")).get(0);
                assertTrue(String.valueOf(first.get("explanation")).contains("read of key"), first.toString());
            }
        }
    }

    @Test
    void theCorrectClusterPassesTheSameSweep() {
        for (TestResult r : sweep(
                Simulation.test()
                        .nodes(3)
                        .timeLimitSeconds(15)
                        .nemesis("partition,pause,kill")
                        .concurrency(8)
                        .keys(2),
                10)) {
            assertEquals(0, r.exitCode(), r.summary());
        }
    }

    /** Planted bugs in the Raft core and the state machine, each caught within a few seeds. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(
            strings = {
                "no-dedup",
                "vote-without-log-check",
                "no-truncate-on-conflict",
                "ack-before-durable",
                "commit-by-counting",
                "leader-counts-undurable-self"
            })
    void plantedCoreBugsAreCaught(String bug) {
        TestSpec.Builder b = Simulation.test(SimOptions.withBug(bug))
                .nodes(3)
                .timeLimitSeconds(15)
                .workload(bug.equals("no-dedup") ? "list-append" : "kv")
                .keys(3)
                .nemesis(
                        bug.equals("no-dedup")
                                ? "loss,kill,partition,pause"
                                : bug.equals("ack-before-durable") ? "kill" : "partition,kill")
                .schedule(FaultSchedule.Options.defaults(Set.of(), 3).withIntensity(3));
        for (long seed = 1; seed <= 40; seed++) {
            TestResult r = b.seed(seed).build().run();
            if (r.exitCode() == 1) {
                return;
            }
            assertEquals(0, r.exitCode(), r.summary());
        }
        throw new AssertionError(bug + " was never caught in 40 seeds");
    }

    /**
     * A vote sent before it is durable is caught by the durable-vote monitor (which reads the hard state off
     * the simulated disk at every send) in the first seed, without waiting for a crash at the right moment.
     */
    @Test
    void aVoteAnnouncedBeforeItIsDurableIsCaughtAtOnce() {
        TestResult r = Simulation.test(SimOptions.withBug("vote-not-persisted"))
                .nodes(3)
                .timeLimitSeconds(5)
                .nemesis("partition")
                .seed(1)
                .build()
                .run();
        assertEquals(1, r.exitCode(), r.summary());
        assertTrue(String.valueOf(r.results()).contains("durable vote: node"), String.valueOf(r.results()));
    }

    @Test
    void everyCanaryHasAName() {
        for (SimOptions.Canary c : SimOptions.Canary.values()) {
            assertEquals(Set.of(c), SimOptions.withBug(c.cliName()).bugs());
        }
        assertEquals(SimOptions.defaults(), SimOptions.withBug("none"));
    }

    /** Disk replacement with kills and partitions, often: the sweep the empty-rejoin canary must fail. */
    private static TestSpec.Builder diskLossStorm(SimOptions options) {
        return Simulation.test(options)
                .nodes(3)
                .timeLimitSeconds(15)
                .nemesis("disk-loss,kill,partition")
                .schedule(FaultSchedule.Options.defaults(Set.of(), 3).withIntensity(3));
    }

    @Test
    void aNodeForcedBackOnAnEmptyDiskIsCaughtLosingWrites() {
        List<TestResult> caught = sweep(diskLossStorm(SimOptions.withBug("empty-rejoin")), 80).stream()
                .filter(r -> r.exitCode() == 1)
                .toList();
        assertTrue(!caught.isEmpty(), "a wiped node voting with no memory was never caught in 80 seeds");
    }

    @Test
    void aNodeWhoseDiskWasReplacedRefusesToRejoinAndNothingIsLost() {
        for (TestResult r : sweep(diskLossStorm(SimOptions.defaults()), 40)) {
            assertEquals(0, r.exitCode(), r.summary());
        }
    }

    private static String why(TestResult r) {
        return String.valueOf(check(r, "cluster").get("why"));
    }

    @Test
    void directoriesNeverSyncedAreCaughtByTheDurabilityMonitors() {
        TestResult r = Simulation.test(SimOptions.withBug("no-dir-sync"))
                .nodes(3)
                .nemesis("kill")
                .timeLimitSeconds(10)
                .seed(1)
                .build()
                .run();
        assertEquals(1, r.exitCode(), r.summary());
        assertTrue(why(r).startsWith("durable vote") || why(r).startsWith("durability"), why(r));
    }

    @Test
    void acksAndCommitsAheadOfTheDiskAreCaughtByTheDurabilityMonitor() {
        for (String bug : List.of("ack-before-durable", "leader-counts-undurable-self")) {
            TestResult r = Simulation.test(SimOptions.withBug(bug))
                    .nodes(3)
                    .nemesis("kill")
                    .timeLimitSeconds(10)
                    .seed(2)
                    .build()
                    .run();
            assertEquals(1, r.exitCode(), bug + ": " + r.summary());
            assertTrue(why(r).startsWith("durability:"), bug + ": " + why(r));
        }
    }

    @Test
    void electionsWithoutPreVoteUnderALongPartialPartitionAreCaughtByTheLivenessMonitor() {
        List<TestResult> caught = sweep(
                        Simulation.test(SimOptions.withBug("no-pre-vote"))
                                .nodes(3)
                                .nemesis("long-partition")
                                .timeLimitSeconds(15),
                        30)
                .stream()
                .filter(r -> r.exitCode() == 1)
                .toList();
        assertTrue(
                !caught.isEmpty(), "a node deposing leaders during a partial partition was never caught in 30 seeds");
        assertTrue(why(caught.get(0)).startsWith("liveness:"), why(caught.get(0)));
        // and the same sweep with PreVote on stays valid, its elections bounded
        for (TestResult r :
                sweep(Simulation.test().nodes(3).nemesis("long-partition").timeLimitSeconds(15), 10)) {
            assertEquals(0, r.exitCode(), r.summary());
        }
    }

    @Test
    void aLeaseWithoutADriftBoundIsCaughtAndOneWithItHoldsUnderClockSkew() {
        TestSpec.Builder base = Simulation.test(SimOptions.withBug("lease-without-drift-bound"))
                .nodes(3)
                .nemesis("partition,clock")
                .concurrency(8)
                .keys(2)
                .timeLimitSeconds(15)
                .schedule(FaultSchedule.Options.defaults(Set.of(), 3).withIntensity(3));
        List<TestResult> caught =
                sweep(base, 10).stream().filter(r -> r.exitCode() == 1).toList();
        assertTrue(!caught.isEmpty(), "a lease as long as the election timeout was never caught in 10 seeds");
        assertTrue(why(caught.get(0)).startsWith("lease:"), why(caught.get(0)));
        // The same faults on leases with the bound: valid, and reads were served from leases.
        long served = 0;
        int leaseRuns = 0;
        for (long seed = 1; seed <= 30 && leaseRuns < 4; seed++) {
            TestResult r = Simulation.test()
                    .nodes(3)
                    .nemesis("partition,clock")
                    .concurrency(8)
                    .keys(2)
                    .timeLimitSeconds(15)
                    .schedule(FaultSchedule.Options.defaults(Set.of(), 3).withIntensity(3))
                    .seed(seed)
                    .build()
                    .run();
            assertEquals(0, r.exitCode(), r.summary());
            long n = ((Number) ((Map<?, ?>) r.results().get("run")).get("lease-reads-served")).longValue();
            if (n > 0) {
                leaseRuns++;
                served += n;
            }
        }
        assertTrue(leaseRuns > 0 && served > 100, "leases served " + served + " reads in " + leaseRuns + " runs");
    }
}
