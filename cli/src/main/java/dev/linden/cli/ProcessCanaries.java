package dev.linden.cli;

import dev.linden.harness.TestResult;
import dev.linden.kvnode.server.TestOnlyBug;
import dev.linden.sim.SimOptions;
import dev.linden.workloads.check.Validity;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * {@code ./linden test --canaries --env local}: the harness scores itself on node processes. Every planted bug of
 * {@code ./linden sim --canaries} that a process can run ({@link TestOnlyBug}) is planted in every node of a local
 * cluster ({@code --bug}, hence {@code --test-only-bugs}) under the faults most likely to expose it, run after run
 * (each {@code --time-limit} seconds, 60 by default) until one is invalid or {@code --test-count} runs (3 by
 * default) passed (a run the harness could not make is made again, with the next seed, twice at most); then a
 * table: the bug, the runs it took, and which checks fired (a run failed by the {@code
 * stats} check alone, some kind of operation never succeeding, is no catch). The bugs a process cannot run are
 * listed with why. It scores, it does not gate: a bug not caught is a blind spot of real-process runs (their
 * monitors judge the nodes' event streams, which carry less than the simulator sees), and the exit is 0 unless a
 * run could not be made.
 */
final class ProcessCanaries {
    private ProcessCanaries() {}

    /** Why each canary a process cannot run cannot (by the canary's name). */
    static final Map<String, String> NOT_ON_PROCESSES = Map.of(
            SimOptions.Canary.NO_DIR_SYNC.cliName(),
            "an unsynced directory entry survives a process kill in the page cache, and a node's held writes "
                    + "(--lose-unsynced-writes) hold file contents only, not creations, renames or deletions",
            SimOptions.Canary.EMPTY_REJOIN.cliName(),
            "an operator's act, not the node's: a wiped node forced back as new with its old identity file; "
                    + "the local nemesis does not play that operator yet");

    /** Why {@code bug} cannot run on node processes; null if it can, or is no canary at all. */
    static String whyNotOnProcesses(String bug) {
        return NOT_ON_PROCESSES.get(bug);
    }

    /**
     * The test a bug runs on: workload, faults, cluster size and pace (as the simulator's hunts, on processes);
     * {@code tune} sets what else it needs (a rate, read-only clients, power-cut kills, a recovery window).
     */
    record Hunt(
            TestOnlyBug bug,
            String workload,
            String nemesis,
            int nodes,
            int concurrency,
            int keys,
            Consumer<TestOptions> tune) {
        Hunt(TestOnlyBug bug, String workload, String nemesis, int nodes, int concurrency, int keys) {
            this(bug, workload, nemesis, nodes, concurrency, keys, o -> {});
        }
    }

    /**
     * Clients that only read, for the bugs a deposed leader shows by answering reads: a client that also writes
     * leaves that leader the moment a write of it hangs there, and every client soon has one.
     */
    static final int STALE_READ_HUNT_READERS = 3;

    /**
     * Writes per second for the bugs that lose what was acknowledged before an fsync: a kill finds unsynced
     * acknowledged entries only while writes keep an fsync in flight, so these run under load.
     */
    static final int DURABILITY_HUNT_RATE = 1_000;

    /**
     * Fault-free seconds after each kill when every kill is a power cut: the cluster is back under load, its leader
     * committing, when the next one lands (without, most cuts found a cluster still electing, and no fsync).
     */
    static final double POWER_CUT_HUNT_RECOVERY_SECONDS = 5;

    static List<Hunt> hunts() {
        List<Hunt> h = new ArrayList<>();
        h.add(new Hunt(TestOnlyBug.UNSAFE_READS, "kv", "partition,pause,kill", 3, 8, 2));
        h.add(new Hunt(TestOnlyBug.TRUST_LOST_LOG, "kv", "lose-tail,lose-segments,kill,partition,pause", 3, 5, 5));
        h.add(new Hunt(TestOnlyBug.NO_DEDUP, "list-append", "loss,kill,partition,pause", 3, 5, 3));
        h.add(new Hunt(TestOnlyBug.NO_PRE_VOTE, "kv", "long-partition", 3, 5, 3));
        h.add(new Hunt(TestOnlyBug.VOTE_WITHOUT_LOG_CHECK, "kv", "partition,kill,leader-change-kill", 3, 5, 3));
        h.add(new Hunt(TestOnlyBug.COMMIT_BY_COUNTING, "kv", "partition,leader-change-kill", 5, 5, 3));
        h.add(new Hunt(TestOnlyBug.VOTE_NOT_PERSISTED, "kv", "leader-change-kill,kill,partition", 3, 5, 3));
        h.add(new Hunt(TestOnlyBug.ACK_BEFORE_DURABLE, "kv", "kill", 3, 16, 10, o -> o.rate = DURABILITY_HUNT_RATE));
        // Every kill a power cut in an fsync, under kills alone with time to recover, so a loaded leader dies
        // mid-commit and the commits that counted its own unsynced entries are on record.
        h.add(new Hunt(TestOnlyBug.LEADER_COUNTS_UNDURABLE_SELF, "kv", "kill", 3, 16, 10, o -> {
            o.rate = DURABILITY_HUNT_RATE;
            o.local.powerCutKills = true;
            o.recoveryWindowSeconds = POWER_CUT_HUNT_RECOVERY_SECONDS;
        }));
        h.add(new Hunt(
                TestOnlyBug.READ_INDEX_WITHOUT_QUORUM,
                "kv",
                "stale-leader",
                3,
                8,
                2,
                o -> o.readOnlyClients = STALE_READ_HUNT_READERS));
        h.add(new Hunt(
                TestOnlyBug.LEASE_WITHOUT_DRIFT_BOUND,
                "kv",
                "stale-leader",
                3,
                8,
                2,
                o -> o.readOnlyClients = STALE_READ_HUNT_READERS));
        h.add(new Hunt(TestOnlyBug.NO_TRUNCATE_ON_CONFLICT, "kv", "partition,leader-change-kill", 3, 5, 3));
        h.add(new Hunt(TestOnlyBug.CONCURRENT_MEMBERSHIP_CHANGES, "kv", "membership,partition", 3, 5, 3));
        h.add(new Hunt(
                TestOnlyBug.FSYNC_LIES,
                "kv",
                "kill,leader-change-kill",
                3,
                16,
                10,
                o -> o.rate = DURABILITY_HUNT_RATE));
        return h;
    }

    /** The options of one hunt's runs: the base's environment, store and pace, the hunt's test. */
    static TestOptions options(Hunt h, TestOptions base) {
        TestOptions o = new TestOptions();
        o.env = base.env;
        o.net = base.net;
        o.store = base.store;
        o.timeLimitSeconds = base.timeLimitSeconds;
        o.rate = base.rate;
        o.intensity = base.intensity;
        o.name = "canary-" + h.bug().cliName();
        o.bug = h.bug().cliName();
        o.workload = h.workload();
        o.nemesis = h.nemesis();
        o.nodes = h.nodes();
        o.concurrency = h.concurrency();
        o.keys = h.keys();
        o.recoveryWindowSeconds = base.recoveryWindowSeconds;
        h.tune().accept(o);
        return o;
    }

    /** Runs of one bug that could not be made (a harness error) and are made again with the next seed. */
    static final int MAX_HARNESS_ERRORS_PER_BUG = 2;

    /** One row of the table. */
    record Row(String bug, int runs, boolean caught, String checks, long firstSeed) {}

    /**
     * Runs every hunt ({@code run} makes one test run of options and a seed), prints the table; returns 0, or 3 if
     * a run could not be made.
     */
    static int run(PrintStream out, TestOptions base, int runsPerBug, long firstSeed, List<String> only, RunOne run) {
        List<Row> rows = new ArrayList<>();
        int exit = 0;
        for (Hunt h : hunts()) {
            if (!only.isEmpty() && !only.contains(h.bug().cliName())) {
                continue;
            }
            TestOptions o = options(h, base);
            Row row = null;
            int runs = 0;
            int errors = 0;
            for (long seed = firstSeed; runs < runsPerBug && row == null; seed++) {
                TestResult r = run.run(o, seed);
                boolean error = r.error() != null;
                runs += error ? 0 : 1;
                out.printf("canary=%s run %d seed %d: %s%n", h.bug().cliName(), runs, seed, verdict(r));
                out.flush();
                if (error && ++errors > MAX_HARNESS_ERRORS_PER_BUG) {
                    exit = 3; // the harness, not the bug: a run that could not be made spends no run, a few times
                    break;
                }
                if (r.exitCode() == 1 && !firedChecks(r).equals(STATS)) {
                    row = new Row(h.bug().cliName(), runs, true, firedChecks(r), seed);
                }
            }
            String missed =
                    errors > MAX_HARNESS_ERRORS_PER_BUG ? "runs could not be made (harness errors)" : "not caught";
            rows.add(row != null ? row : new Row(h.bug().cliName(), runs, false, missed, firstSeed));
        }
        out.print(table(rows, runsPerBug, base.timeLimitSeconds));
        out.flush();
        return exit;
    }

    /**
     * The check that fails a run in which some kind of operation never succeeded: availability, not safety, so a
     * run it alone failed does not count as a catch.
     */
    static final String STATS = "stats";

    /** Makes one run of a test. */
    @FunctionalInterface
    interface RunOne {
        TestResult run(TestOptions options, long seed);
    }

    private static String verdict(TestResult r) {
        return r.error() != null
                ? "harness error: " + r.error().lines().findFirst().orElse("")
                : r.valid().text() + (r.exitCode() == 1 ? " (" + firedChecks(r) + ")" : "");
    }

    /** The checks that found the run invalid, by name, comma-separated. */
    static String firedChecks(TestResult r) {
        List<String> fired = new ArrayList<>();
        if (r.results().get("checks") instanceof Map<?, ?> checks) {
            checks.forEach((name, v) -> {
                if (v instanceof Map<?, ?> m && Validity.parse(m.get("valid")) == Validity.FALSE) {
                    fired.add(String.valueOf(name));
                }
            });
        }
        return fired.isEmpty() ? "invalid" : String.join(",", fired);
    }

    /** The table: a line per bug, those a process cannot run after, then a count. */
    static String table(List<Row> rows, int runsPerBug, double seconds) {
        StringBuilder b = new StringBuilder();
        Function<Row, String> runs = r -> r.caught() ? String.valueOf(r.runs()) : "-";
        b.append(String.format("%-30s %-14s %s%n", "bug", "runs to catch", "check fired"));
        long caught = 0;
        for (Row r : rows) {
            b.append(String.format("%-30s %-14s %s%n", r.bug(), runs.apply(r), r.checks()));
            caught += r.caught() ? 1 : 0;
        }
        Map<String, String> not = new TreeMap<>(NOT_ON_PROCESSES);
        not.forEach((bug, why) ->
                b.append(String.format("%-30s %-14s %s%n", bug, "n/a", "cannot run on a process: " + why)));
        b.append(String.format(
                "process canaries: %d/%d caught (at most %d runs of %s s each)%n",
                caught, rows.size(), runsPerBug, TestOptions.trim(seconds)));
        return b.toString();
    }
}
