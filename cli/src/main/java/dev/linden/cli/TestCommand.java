package dev.linden.cli;

import dev.linden.harness.TestResult;
import dev.linden.harness.TestSpec;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ./linden test}: runs a declared test (Jepsen's {@code test}): a cluster under faults, driven by
 * generators, every operation recorded, checked, and stored in {@code store/<name>/<timestamp>/}. Exit 0
 * valid, 1 invalid, 2 unknown, 3 harness error (the worst over {@code --test-count} runs).
 */
@Command(
        name = "test",
        mixinStandardHelpOptions = true,
        description = "Run a test: a cluster under faults, checked and stored (default: 5 simulated nodes, "
                + "every fault, 30 simulated seconds). Exit 0 valid, 1 invalid, 2 unknown, 3 harness error.")
public final class TestCommand implements Callable<Integer> {
    @Mixin
    TestOptions options = new TestOptions();

    @Option(names = "--seed", description = "the run's seed (default: drawn from the clock, and printed)")
    Long seed;

    @Option(names = "--test-count", description = "run the test this many times, seeds SEED, SEED+1, ... (default 1)")
    int testCount = 1;

    @Option(names = "--quiet", description = "no progress lines while running")
    boolean quiet;

    @Option(
            names = "--canaries",
            description = "with --env local or docker: score the harness on node processes: every planted bug a "
                    + "process can run, --test-count runs (default 3) of --time-limit s (default 60) at most each, "
                    + "then a table: bug, runs to catch, which check fired")
    boolean canaries;

    @Option(
            names = "--canary-bugs",
            split = ",",
            paramLabel = "BUG",
            description = "with --canaries: only these bugs (default: every one a process can run)")
    List<String> canaryBugs = new ArrayList<>();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        return run(System.out, System.err);
    }

    int run(PrintStream out, PrintStream err) {
        String bad = options.validate();
        if (bad != null || testCount < 1) {
            err.println("linden test: " + (bad != null ? bad : "--test-count must be >= 1"));
            return 3;
        }
        if (options.workload.equals("all")) {
            err.println("linden test: --workload all is for sweeps (./linden sim); name one workload");
            return 3;
        }
        long first = seed != null ? seed : System.currentTimeMillis() % 1_000_000_000L;
        if (canaries) {
            return runCanaries(out, err, first);
        }
        int worst = 0;
        for (int i = 0; i < testCount; i++) {
            long s = first + i;
            TestSpec spec = options.spec(options.workload, s);
            if (!quiet) {
                spec = spec.withProgress(line -> {
                    err.println(line);
                    err.flush();
                });
            }
            String where = spec.env().equals("local")
                    ? " local node processes"
                    : spec.env().equals("docker") ? " node containers" : " simulated nodes";
            out.println("running " + spec.name() + " on " + spec.nodes() + where + ", workload "
                    + spec.workload() + ", nemesis " + options.nemesis + ", "
                    + TestOptions.trim(options.timeLimitSeconds)
                    + " s, seed " + s);
            out.flush();
            TestResult r = spec.run();
            print(out, r, String.join(" ", options.replayArgs(options.workload, s)));
            worst = worse(worst, r.exitCode());
        }
        return worst;
    }

    /** {@code --canaries}: the process canaries ({@link ProcessCanaries}), 3 runs of 60 s unless told. */
    private int runCanaries(PrintStream out, PrintStream err, long first) {
        if (options.env.equals("sim")) {
            err.println("linden test: --canaries scores node processes (--env local or docker); the simulator's "
                    + "canaries are ./linden sim --canaries");
            return 3;
        }
        if (!given("--test-count")) {
            testCount = 3;
        }
        if (!given("--time-limit") && !given("--duration")) {
            options.timeLimitSeconds = 60;
        }
        out.println("process canaries on " + options.env + ": at most " + testCount + " runs of "
                + TestOptions.trim(options.timeLimitSeconds) + " s per bug, seeds from " + first);
        return ProcessCanaries.run(
                out,
                options,
                testCount,
                first,
                canaryBugs,
                (o, s) -> o.spec(o.workload, s).run());
    }

    /** Whether the command line gave this option (false when run without picocli, as tests do). */
    private boolean given(String name) {
        return spec != null
                && spec.commandLine() != null
                && spec.commandLine().getParseResult() != null
                && spec.commandLine().getParseResult().hasMatchedOption(name);
    }

    static void print(PrintStream out, TestResult r, String replay) {
        Map<String, Object> res = r.results();
        if (res.get("counts") instanceof Map<?, ?> c) {
            out.println(
                    "ops: " + c.get("invoked") + " invoked (ok " + c.get("ok") + ", fail " + c.get("fail") + ", info "
                            + c.get("info") + "), " + res.get("throughput-ok-per-second") + " ok/s; ok latency ms "
                            + res.get("ok-latency-millis"));
        }
        if (res.get("checks") instanceof Map<?, ?> checks && checks.get("faults") instanceof Map<?, ?> f) {
            out.println("faults: " + f.get("operations") + " operations, " + f.get("effective")
                    + " with an observed effect");
        }
        if (res.get("run") instanceof Map<?, ?> run && run.get("sim-millis") == null) {
            out.println("run: " + run.get("wall-millis") + " ms wall, " + run.get("processes-started")
                    + " node processes started");
        } else if (res.get("run") instanceof Map<?, ?> run) {
            out.println("run: " + run.get("sim-millis") + " ms simulated in " + run.get("wall-millis") + " ms wall, "
                    + run.get("events") + " events, trace-hash " + run.get("trace-hash"));
        }
        if (res.get("run") instanceof Map<?, ?> run && run.get("info-resolved") instanceof Map<?, ?> ir) {
            out.println("info resolved from WALs: " + ir.get("resolved") + " of " + ir.get("info") + " (" + ir.get("ok")
                    + " happened, kept :info; " + ir.get("failed") + " failed)");
        }
        if (r.storeDir() != null) {
            out.println("store: " + r.storeDir());
            out.println("report: " + r.storeDir().resolve("index.html"));
        }
        out.println(r.summary().lines().findFirst().orElse(""));
        r.summary()
                .lines()
                .skip(1)
                .filter(l -> !l.contains("stored in") && !l.contains("replay: "))
                .forEach(out::println);
        if (!r.passed()) {
            out.println("replay: " + replay);
        }
        out.flush();
    }

    /** Combines exit codes: invalid beats a harness error, which beats unknown, which beats valid. */
    static int worse(int a, int b) {
        int[] rank = {0, 3, 1, 2}; // by exit code: 0 valid, 1 invalid, 2 unknown, 3 harness error
        return rank[b] > rank[a] ? b : a;
    }
}
