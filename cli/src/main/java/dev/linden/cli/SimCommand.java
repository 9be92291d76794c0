package dev.linden.cli;

import dev.linden.harness.TestResult;
import dev.linden.harness.TestSpec;
import dev.linden.workloads.Workload;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ./linden sim}: a sweep of one test definition over seeds on the simulator. One line per seed
 * (with its trace hash), then a summary. Only failing seeds are stored, each with the command that
 * replays it. {@code --shard I/N} runs the seeds whose position in the sweep is I modulo N, so a CI matrix
 * or a Kubernetes Indexed Job can split a sweep. Exit 0 all valid, 1 some invalid, 2 some unknown, 3
 * harness error.
 */
@Command(
        name = "sim",
        mixinStandardHelpOptions = true,
        description = "Sweep a simulated test over seeds (deterministic per seed); failing seeds are stored with "
                + "their replay command. Exit 0 all valid, 1 some invalid, 2 some unknown, 3 harness error.")
public final class SimCommand implements Callable<Integer> {
    @Mixin
    TestOptions options = new TestOptions();

    @Option(names = "--seeds", description = "how many seeds to run (default 20)")
    int seeds = 20;

    @Option(names = "--first-seed", description = "first seed of the sweep (default 1)")
    long firstSeed = 1;

    @Option(names = "--seed", description = "run exactly this seed")
    Long seed;

    @Option(
            names = "--shard",
            description = "I/N: run only the seeds at positions I, I+N, I+2N, ... of the sweep (0 <= I < N)")
    String shard;

    @Option(names = "--threads", description = "seeds run in parallel (default: cores)")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(
            names = "--canaries",
            description = "score the simulator: run every planted bug until a seed catches it "
                    + "(at most --seeds seeds each), print one line per bug and 'canaries: N/M "
                    + "caught'; exit 1 unless all are caught")
    boolean canaries;

    @Option(names = "--verbose", description = "print every failure's reasons in full")
    boolean verbose;

    @Option(
            names = "--record-core",
            paramLabel = "FILE",
            description = "with --seed: record every input to each node's core into FILE.node-N.core, for a replay of"
                    + " the core alone (CoreReplay)")
    Path recordCore;

    public SimCommand() {
        options.nodes = 3;
    }

    @Override
    public Integer call() {
        return run(System.out, System.err);
    }

    int run(PrintStream out, PrintStream err) {
        String bad = options.validate();
        if (bad != null || seeds < 1 || threads < 1) {
            err.println("linden sim: " + (bad != null ? bad : "--seeds and --threads must be >= 1"));
            return 3;
        }
        if (canaries && !options.env.equals("sim")) {
            err.println("linden sim: canaries on node processes are ./linden test --canaries --env " + options.env
                    + " (runs of a minute each, stored as tests)");
            return 3;
        }
        if (canaries) {
            try {
                return Canaries.run(out, seeds, firstSeed, options.timeLimitSeconds, threads);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 3;
            } catch (ExecutionException e) {
                err.println("linden sim: " + e.getCause());
                return 3;
            }
        }
        if (recordCore != null && seed == null) {
            err.println("linden sim: --record-core needs --seed (one run, one recording a node)");
            return 3;
        }
        options.recordCores = recordCore;
        List<Long> todo = seedsToRun(err);
        if (todo == null) {
            return 3;
        }
        if (todo.isEmpty()) {
            out.println("summary: shard " + shard + " of " + seeds + " seeds holds none");
            return 0;
        }
        long wallStart = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(threads, todo.size()), r -> {
            Thread t = new Thread(r, "sim");
            t.setDaemon(true);
            return t;
        });
        Sweep sweep = new Sweep();
        try {
            sweep.run(todo, pool, out);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 3;
        } catch (ExecutionException e) {
            err.println("linden sim: " + e.getCause());
            return 3;
        } finally {
            pool.shutdownNow();
        }
        sweep.printSummary(out, System.nanoTime() - wallStart);
        return sweep.exit;
    }

    /** The seeds of this sweep (or of its shard), or null after saying why --shard is malformed. */
    private List<Long> seedsToRun(PrintStream err) {
        int shardIndex = 0;
        int shardCount = 1;
        if (shard != null) {
            String[] p = shard.split("/");
            try {
                shardIndex = Integer.parseInt(p[0]);
                shardCount = Integer.parseInt(p[1]);
            } catch (RuntimeException e) {
                shardCount = 0;
            }
            if (p.length != 2 || shardCount < 1 || shardIndex < 0 || shardIndex >= shardCount) {
                err.println("linden sim: --shard is I/N with 0 <= I < N, e.g. --shard 2/8");
                return null;
            }
        }
        List<Long> todo = new ArrayList<>();
        if (seed != null) {
            todo.add(seed);
        } else {
            for (int i = shardIndex; i < seeds; i += shardCount) {
                todo.add(firstSeed + i);
            }
        }
        return todo;
    }

    /** One sweep's seeds run on a pool, their lines printed in seed order, and what the summary needs. */
    private final class Sweep {
        final List<TestResult> results = new ArrayList<>();
        final List<String> replays = new ArrayList<>();
        int exit;
        long simMillis;
        long events;

        void run(List<Long> todo, ExecutorService pool, PrintStream out)
                throws InterruptedException, ExecutionException {
            // A sliding window of submitted seeds: results come back in seed order, and at most WINDOW
            // histories are held at once, whatever the sweep's length.
            int window = Math.max(1, threads) * 4;
            ArrayDeque<Future<TestResult>> futures = new ArrayDeque<>();
            List<String> workloads = new ArrayList<>();
            for (long s : todo) {
                workloads.add(workloadFor(s));
            }
            int submitted = 0;
            for (int i = 0; i < todo.size(); i++) {
                while (submitted < todo.size() && futures.size() < window) {
                    // Sweeps keep their stores small: only failing seeds are stored (re-run below with a store).
                    TestSpec spec = options.spec(workloads.get(submitted), todo.get(submitted))
                            .withStoreRoot(null);
                    futures.add(pool.submit(spec::run));
                    submitted++;
                }
                TestResult r = futures.poll().get();
                long s = todo.get(i);
                String w = workloads.get(i);
                if (!r.passed()) {
                    // Same seed, same run: store it now so the failure can be read and analyzed.
                    r = options.spec(w, s).run();
                }
                record(r, s, w, out);
            }
        }

        private void record(TestResult r, long s, String w, PrintStream out) {
            results.add(new TestResult(
                    r.name(),
                    r.seed(),
                    r.valid(),
                    r.exitCode(),
                    r.error(),
                    Map.of(),
                    List.of(),
                    r.storeDir(),
                    r.replayCommand())); // the summary only: the history is not kept
            Map<?, ?> run = r.results().get("run") instanceof Map<?, ?> m ? m : Map.of();
            Map<?, ?> counts = r.results().get("counts") instanceof Map<?, ?> m ? m : Map.of();
            Map<?, ?> checks = r.results().get("checks") instanceof Map<?, ?> m ? m : Map.of();
            Map<?, ?> faults = checks.get("faults") instanceof Map<?, ?> m ? m : Map.of();
            simMillis += run.get("sim-millis") instanceof Number n ? n.longValue() : 0;
            events += run.get("events") instanceof Number n ? n.longValue() : 0;
            out.println("seed=" + s + " workload=" + w + " ops=" + counts.get("invoked") + " faults="
                    + faults.get("effective") + "/" + faults.get("operations") + " verdict="
                    + (r.error() != null ? "harness-error" : r.valid().text()) + " trace-hash: "
                    + run.get("trace-hash"));
            if (!r.passed()) {
                String summary = r.summary();
                if (!verbose && summary.length() > 2000) {
                    summary = summary.substring(0, 2000) + " ... (--verbose for all)";
                }
                summary.lines()
                        .skip(1)
                        .filter(l -> !l.contains("replay: "))
                        .forEach(l -> out.println("  " + l.strip()));
                replays.add(String.join(" ", options.replayArgs(w, s)));
            }
            out.flush();
            exit = TestCommand.worse(exit, r.exitCode());
        }

        void printSummary(PrintStream out, long wall) {
            long failed = results.stream().filter(r -> !r.passed()).count();
            out.printf(
                    "summary: %d seeds%s, %d passed, %d failed; simulated %.1f s in %.1f s wall (%.0fx), "
                            + "%.2fM events/s, %.0f seeds/min%n",
                    results.size(),
                    shard == null ? "" : " (shard " + shard + ")",
                    results.size() - failed,
                    failed,
                    simMillis / 1e3,
                    wall / 1e9,
                    simMillis * 1e6 / wall,
                    events / (wall / 1e9) / 1e6,
                    results.size() / (wall / 60e9));
            for (String r : replays) {
                out.println("replay: " + r);
            }
        }
    }

    private String workloadFor(long s) {
        if (!options.workload.equals("all")) {
            return options.workload;
        }
        return Workload.NAMES.get((int) Math.floorMod(s, (long) Workload.NAMES.size()));
    }
}
