package dev.linden.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.harness.TestResult;
import dev.linden.kvnode.server.TestOnlyBug;
import dev.linden.realenv.LocalEnvOptions;
import dev.linden.sim.SimOptions;
import dev.linden.workloads.check.Validity;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Every canary of the simulator either runs on node processes or says why not, and the process canaries' table
 * says for each bug the runs it took and the checks that fired (no process is started here).
 */
class ProcessCanariesTest {
    @Test
    void everyCanaryRunsOnProcessesOrSaysWhyNot() {
        for (SimOptions.Canary c : SimOptions.Canary.values()) {
            boolean runs = TestOnlyBug.byName(c.cliName()) != null;
            String why = ProcessCanaries.whyNotOnProcesses(c.cliName());
            assertTrue(runs != (why != null), c.cliName() + ": runs on processes " + runs + ", why not: " + why);
        }
        for (TestOnlyBug b : TestOnlyBug.values()) {
            SimOptions.Canary.parse(b.cliName()); // every process bug is a canary of the simulator
        }
    }

    @Test
    void everyProcessBugIsHunted() {
        Set<TestOnlyBug> hunted = EnumSet.noneOf(TestOnlyBug.class);
        ProcessCanaries.hunts().forEach(h -> hunted.add(h.bug()));
        assertEquals(EnumSet.allOf(TestOnlyBug.class), hunted);
    }

    @Test
    void aLocalTestPlantsItsBugInEveryNodeAndRefusesOneAProcessCannotRun() {
        TestOptions o = new TestOptions();
        o.env = "local";
        o.bug = "commit-by-counting";
        assertNull(o.validate());
        LocalEnvOptions local = o.localOptions(5);
        assertEquals(List.of("commit-by-counting"), local.testOnlyBugs());
        o.bug = "no-dir-sync";
        assertTrue(o.validate().contains("page cache"), o.validate());
        o.bug = "fsync-lies"; // runs on nodes that hold their writes until synced
        assertNull(o.validate());
        assertTrue(o.localOptions(5).node().loseUnsyncedWrites(), "a test's nodes lose unsynced writes at a kill");
        o.bug = "no-such-bug";
        assertTrue(o.validate().contains("unknown bug"), o.validate());
    }

    @Test
    void aLocalRunOfAllPreparesDiskMembershipAndClockFaults() {
        TestOptions o = new TestOptions();
        o.env = "local";
        LocalEnvOptions local = o.localOptions(5);
        assertTrue(local.diskFaults() && local.membershipFaults() && local.clockFaults(), local.toString());
        o.nemesis = "stale-leader"; // moves clocks too: the nodes run under libfaketime
        assertTrue(o.localOptions(5).clockFaults());
    }

    @Test
    void aDeposedLeadersReadsAreHuntedWithReadOnlyClientsUnderAStaleLeader() {
        for (ProcessCanaries.Hunt h : ProcessCanaries.hunts()) {
            TestOptions o = ProcessCanaries.options(h, new TestOptions());
            boolean readBug = h.bug() == TestOnlyBug.READ_INDEX_WITHOUT_QUORUM
                    || h.bug() == TestOnlyBug.LEASE_WITHOUT_DRIFT_BOUND;
            assertEquals(readBug ? ProcessCanaries.STALE_READ_HUNT_READERS : 0, o.readOnlyClients, h.toString());
            if (readBug) {
                o.env = "local";
                assertNull(o.validate());
                assertEquals("stale-leader", o.nemesis);
                assertTrue(String.join(" ", o.replayArgs("kv", 1)).contains("--read-only-clients 3"));
            }
        }
        TestOptions cut = ProcessCanaries.options(
                ProcessCanaries.hunts().stream()
                        .filter(h -> h.bug() == TestOnlyBug.LEADER_COUNTS_UNDURABLE_SELF)
                        .findFirst()
                        .orElseThrow(),
                new TestOptions());
        cut.env = "local";
        assertNull(cut.validate());
        assertTrue(cut.localOptions(3).node().powerCutKills());
        assertEquals(ProcessCanaries.POWER_CUT_HUNT_RECOVERY_SECONDS, cut.recoveryWindowSeconds);
        assertEquals(ProcessCanaries.DURABILITY_HUNT_RATE, cut.rate);
        assertTrue(String.join(" ", cut.replayArgs("kv", 3)).contains("--power-cut-kills true"));
        cut.local.loseUnsyncedWrites = false;
        assertTrue(cut.validate().contains("--power-cut-kills"), cut.validate());
        TestOptions o = new TestOptions();
        o.workload = "list-append";
        o.readOnlyClients = 1;
        assertTrue(o.validate().contains("--read-only-clients"), o.validate());
    }

    @Test
    void theReplayCommandSaysHowTheNodesReadAndSnapshot() {
        TestOptions o = new TestOptions();
        o.env = "local";
        o.bug = "lease-without-drift-bound";
        String replay = String.join(" ", o.replayArgs("kv", 9));
        assertTrue(replay.contains("--bug lease-without-drift-bound --read-mode lease --snapshot-count "), replay);
        TestOptions replayed = new TestOptions();
        replayed.env = "local";
        replayed.local.readMode = "lease";
        replayed.local.snapshotCount = o.localOptions(9).node().snapshotCount();
        replayed.local.snapshotCatchupEntries = o.localOptions(9).node().snapshotCatchupEntries();
        replayed.local.loseUnsyncedWrites = true;
        assertEquals(o.localOptions(9).node(), replayed.localOptions(123).node());
        assertTrue(replay.contains("--lose-unsynced-writes true"), replay);
        TestOptions sim = new TestOptions();
        assertTrue(!String.join(" ", sim.replayArgs("kv", 9)).contains("--read-mode"));
        sim.local.readMode = "lease";
        assertNotNull(sim.validate());
    }

    @Test
    void theTableSaysRunsToCatchAndWhichCheckFired() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        TestOptions base = new TestOptions();
        base.env = "local";
        List<String> asked = new ArrayList<>();
        PrintStream print = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        int exit = ProcessCanaries.run(print, base, 3, 100, List.of(), (o, s) -> {
            asked.add(o.bug + "@" + s);
            boolean caught = o.bug.equals("unsafe-reads") && s == 101;
            return result(caught, o.bug.equals("no-dedup") ? "stats" : "workload");
        });
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(0, exit, out);
        assertTrue(asked.contains("unsafe-reads@101") && !asked.contains("unsafe-reads@102"), asked.toString());
        assertTrue(out.matches("(?s).*unsafe-reads +2 +workload\\n.*"), out);
        assertTrue(out.matches("(?s).*no-dedup +- +not caught\\n.*"), out);
        assertTrue(out.contains("no-dir-sync") && out.contains("cannot run on a process"), out);
        assertTrue(out.contains("process canaries: 1/" + TestOnlyBug.values().length + " caught"), out);
        bytes.reset();
        ProcessCanaries.run(print, base, 1, 100, List.of("no-dedup"), (o, s) -> result(false, "stats"));
        assertTrue(bytes.toString(StandardCharsets.UTF_8).contains("process canaries: 0/1 caught"), bytes.toString());
    }

    @Test
    void aRunTheHarnessCouldNotMakeIsMadeAgainWithTheNextSeedAFewTimesAtMost() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        TestOptions base = new TestOptions();
        base.env = "local";
        PrintStream print = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        List<Long> seeds = new ArrayList<>();
        int exit = ProcessCanaries.run(print, base, 2, 100, List.of("no-dedup"), (o, s) -> {
            seeds.add(s);
            return s == 100 ? error() : result(s == 102, "workload");
        });
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(List.of(100L, 101L, 102L), seeds, out);
        assertEquals(0, exit, out);
        assertTrue(out.matches("(?s).*no-dedup +2 +workload\\n.*"), out);
        bytes.reset();
        exit = ProcessCanaries.run(print, base, 2, 100, List.of("no-dedup"), (o, s) -> error());
        out = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(3, exit, out);
        assertTrue(out.contains("runs could not be made (harness errors)"), out);
    }

    private static TestResult error() {
        return new TestResult("t", 1, Validity.UNKNOWN, 3, "ports taken", Map.of(), List.of(), null, null);
    }

    private static TestResult result(boolean caught, String check) {
        boolean failed = caught || check.equals("stats");
        Map<String, Object> checks = Map.of(check, Map.of("valid", !failed), "cluster", Map.of("valid", true));
        return new TestResult(
                "t",
                1,
                failed ? Validity.FALSE : Validity.TRUE,
                failed ? 1 : 0,
                null,
                Map.of("checks", checks),
                List.of(),
                null,
                null);
    }
}
