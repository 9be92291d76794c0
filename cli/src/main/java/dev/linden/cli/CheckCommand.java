package dev.linden.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.linden.checker.CheckResult;
import dev.linden.checker.Checker;
import dev.linden.checker.Counterexample;
import dev.linden.checker.HistoryGenerator;
import dev.linden.checker.KeyResult;
import dev.linden.checker.Verdict;
import dev.linden.checker.history.History;
import dev.linden.checker.history.HistoryFormat;
import dev.linden.checker.history.HistoryReader;
import dev.linden.checker.history.HistoryWriter;
import dev.linden.checker.history.MalformedHistoryException;
import dev.linden.checker.history.Operation;
import dev.linden.checker.model.Model;
import dev.linden.checker.model.Models;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ./linden check}: one line per file, {@code FILE <verdict> <milliseconds>}, details after each
 * failure. Exit code 0 all linearizable, 1 any not linearizable, 2 any unknown (none illegal), 3 bad input.
 */
@Command(name = "check", description = "Check histories for linearizability.", mixinStandardHelpOptions = true)
public final class CheckCommand implements Callable<Integer> {
    public static final int EXIT_OK = 0;
    public static final int EXIT_NOT_LINEARIZABLE = 1;
    public static final int EXIT_UNKNOWN = 2;
    public static final int EXIT_BAD_INPUT = 3;

    @Option(names = "--model", description = "register, cas-register, kv, append or set (default: inferred)")
    String model;

    @Option(names = "--format", description = "json, edn or jepsen-log (default: by extension and content)")
    String format;

    @Option(names = "--time-limit", description = "seconds per file before the verdict is unknown (default 600)")
    double timeLimitSeconds = 600;

    @Option(names = "--max-memory", description = "MB of search cache per file (default: half the heap)")
    Long maxMemoryMb;

    @Option(names = "--json", description = "print machine-readable results instead")
    boolean json;

    @Option(names = "--repeat", description = "check each file N times and report the fastest (benchmark)")
    int repeat = 1;

    @Option(names = "--no-partition", description = "do not split by key (for cross-checking)", hidden = true)
    boolean noPartition;

    @Parameters(paramLabel = "FILE", arity = "0..*", description = "history files")
    List<Path> files;

    @Option(
            names = "--generate",
            paramLabel = "OPS",
            description = "instead of checking, write a seeded history "
                    + "of OPS register operations, linearizable by construction, to FILE (history.edn format)")
    Integer generate;

    @Option(names = "--keys", description = "with --generate: registers (default 100)")
    int keys = 100;

    @Option(names = "--processes", description = "with --generate: concurrent processes (default 50)")
    int processes = 50;

    @Option(names = "--seed", description = "with --generate: the seed (default 1)")
    long seed = 1;

    @Option(names = "--stale-read", description = "with --generate: plant one stale read (not linearizable)")
    boolean staleRead;

    @Option(
            names = "--bench",
            description = "benchmark: check each FILE (or every file under a directory; "
                    + "default ../shared/corpus/porcupine) warm, many times, and print its best and "
                    + "median microseconds")
    boolean bench;

    @Override
    public Integer call() {
        return run(System.out, System.err);
    }

    int run(PrintStream out, PrintStream err) {
        if (generate != null) {
            return generate(out, err);
        }
        if (bench) {
            return bench(out, err);
        }
        if (files == null || files.isEmpty()) {
            err.println("linden check: give at least one history FILE (or --generate OPS FILE)");
            return EXIT_BAD_INPUT;
        }
        Model m;
        HistoryFormat fmt;
        try {
            m = model == null ? null : Models.byName(model);
            fmt = format == null ? null : HistoryFormat.fromCliName(format);
        } catch (IllegalArgumentException e) {
            err.println("linden check: " + e.getMessage());
            return EXIT_BAD_INPUT;
        }
        if (timeLimitSeconds <= 0 || repeat < 1 || (maxMemoryMb != null && maxMemoryMb < 1)) {
            err.println("linden check: --time-limit, --max-memory and --repeat must be positive");
            return EXIT_BAD_INPUT;
        }
        Checker.Options options = checkerOptions();
        boolean anyIllegal = false;
        boolean anyUnknown = false;
        boolean anyBad = false;
        long totalNanos = 0;
        List<Object> jsonResults = new ArrayList<>();
        for (Path file : files) {
            Timed timed;
            try {
                if (!Files.isRegularFile(file)) {
                    throw new MalformedHistoryException(file.toString(), 0, "no such file");
                }
                timed = bestOf(HistoryReader.read(file, fmt), m, options);
            } catch (MalformedHistoryException e) {
                anyBad = true;
                err.println("linden check: " + e.getMessage());
                if (json) {
                    jsonResults.add(Map.of("source", file.toString(), "error", e.getMessage()));
                } else {
                    out.println(file + " bad-input 0");
                }
                continue;
            } catch (IOException e) {
                anyBad = true;
                err.println("linden check: " + file + ": cannot read: " + e.getMessage());
                continue;
            }
            CheckResult best = timed.result();
            totalNanos += timed.nanos();
            anyIllegal |= best.verdict() == Verdict.NOT_LINEARIZABLE;
            anyUnknown |= best.verdict() == Verdict.UNKNOWN;
            if (json) {
                jsonResults.add(best);
            } else {
                // The line's third field stays whole milliseconds; --repeat adds the precise best time.
                out.println(file + " " + best.verdict().text() + " " + best.elapsedMillis()
                        + (repeat > 1 ? String.format(" (best of %d: %d us)", repeat, best.elapsedMicros()) : ""));
                printDetails(out, best);
            }
        }
        if (json) {
            if (!writeJson(out, err, jsonResults)) {
                return EXIT_BAD_INPUT;
            }
        } else if (repeat > 1 || files.size() > 1) {
            out.printf(
                    "total: %d files %.3f ms%s%n",
                    files.size(), totalNanos / 1e6, repeat > 1 ? " (sum of each file's best of " + repeat + ")" : "");
        }
        if (anyBad) {
            return EXIT_BAD_INPUT;
        }
        return anyIllegal ? EXIT_NOT_LINEARIZABLE : anyUnknown ? EXIT_UNKNOWN : EXIT_OK;
    }

    private Checker.Options checkerOptions() {
        Checker.Options options = Checker.Options.defaults()
                .withTimeLimit(Duration.ofMillis((long) (timeLimitSeconds * 1000)))
                .withPartition(!noPartition);
        return maxMemoryMb == null ? options : options.withMaxMemoryBytes(maxMemoryMb * 1024 * 1024);
    }

    /** A check's result and how long it took. */
    private record Timed(CheckResult result, long nanos) {}

    /** The fastest of --repeat checks of {@code h}. */
    private Timed bestOf(History h, Model m, Checker.Options options) throws MalformedHistoryException {
        Timed best = null;
        for (int i = 0; i < repeat; i++) {
            long t0 = System.nanoTime();
            CheckResult r = Checker.check(h, m, options);
            long took = System.nanoTime() - t0;
            if (best == null || took < best.nanos()) {
                best = new Timed(r, took);
            }
        }
        return best;
    }

    private static boolean writeJson(PrintStream out, PrintStream err, List<Object> results) {
        try {
            out.println(new ObjectMapper()
                    .enable(SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(results));
            return true;
        } catch (IOException e) {
            err.println("linden check: cannot write JSON: " + e.getMessage());
            return false;
        }
    }

    /** Checks per file during --bench: at least this many, and for at least BENCH_MILLIS. */
    private static final int BENCH_MIN_RUNS = 20;

    private static final long BENCH_MILLIS = 200;
    private static final long BENCH_WARMUP_MILLIS = 5_000;

    private int bench(PrintStream out, PrintStream err) {
        List<Path> inputs =
                files == null || files.isEmpty() ? List.of(Path.of("..", "shared", "corpus", "porcupine")) : files;
        List<Path> all = historyFiles(inputs, err);
        if (all == null) {
            return EXIT_BAD_INPUT;
        }
        if (all.isEmpty()) {
            err.println("linden check: --bench found no history files in " + inputs);
            return EXIT_BAD_INPUT;
        }
        Checker.Options options = Checker.Options.defaults();
        List<History> histories = new ArrayList<>();
        for (Path f : all) {
            try {
                histories.add(HistoryReader.read(f, null));
            } catch (IOException | MalformedHistoryException e) {
                err.println("linden check: " + f + ": " + e.getMessage());
                return EXIT_BAD_INPUT;
            }
        }
        // Warm every path first (the JIT compiles what all files need), round-robin for a few seconds.
        long warmUntil = System.nanoTime() + BENCH_WARMUP_MILLIS * 1_000_000;
        do {
            for (History h : histories) {
                try {
                    Checker.check(h, null, options);
                } catch (MalformedHistoryException e) {
                    err.println("linden check: " + h.source() + ": " + e.getMessage());
                    return EXIT_BAD_INPUT;
                }
            }
        } while (System.nanoTime() < warmUntil);
        out.printf("%-60s %7s %-17s %10s %10s %6s%n", "file", "ops", "verdict", "best-us", "median-us", "runs");
        long sumBest = 0;
        long minBest = Long.MAX_VALUE;
        for (int n = 0; n < all.size(); n++) {
            Path f = all.get(n);
            History h = histories.get(n);
            try {
                List<Long> micros = new ArrayList<>();
                long until = System.nanoTime() + BENCH_MILLIS * 1_000_000;
                CheckResult last = null;
                while (micros.size() < BENCH_MIN_RUNS || (System.nanoTime() < until && micros.size() < 100_000)) {
                    long t0 = System.nanoTime();
                    last = Checker.check(h, null, options);
                    micros.add((System.nanoTime() - t0) / 1_000);
                }
                Collections.sort(micros);
                long best = micros.get(0);
                sumBest += best;
                minBest = Math.min(minBest, best);
                out.printf(
                        "%-60s %7d %-17s %10d %10d %6d%n",
                        f,
                        last.operations(),
                        last.verdict().text(),
                        best,
                        micros.get(micros.size() / 2),
                        micros.size());
            } catch (MalformedHistoryException e) {
                err.println("linden check: " + f + ": " + e.getMessage());
                return EXIT_BAD_INPUT;
            }
        }
        out.printf("bench: %d files, sum of best %.3f ms, smallest best %d us%n", all.size(), sumBest / 1e3, minBest);
        return EXIT_OK;
    }

    /** The history files under {@code inputs} (directories walked), or null after saying why not. */
    private static List<Path> historyFiles(List<Path> inputs, PrintStream err) {
        List<Path> all = new ArrayList<>();
        for (Path p : inputs) {
            if (!Files.isDirectory(p)) {
                all.add(p);
                continue;
            }
            try (var walk = Files.walk(p)) {
                walk.filter(Files::isRegularFile)
                        .filter(f -> !f.getFileName().toString().endsWith(".tsv")
                                && !f.getFileName().toString().endsWith(".md"))
                        .sorted()
                        .forEach(all::add);
            } catch (IOException e) {
                err.println("linden check: cannot list " + p + ": " + e.getMessage());
                return null;
            }
        }
        return all;
    }

    private int generate(PrintStream out, PrintStream err) {
        if (files == null || files.size() != 1 || generate < 1 || keys < 1 || processes < 1) {
            err.println("linden check: --generate OPS needs exactly one output FILE, and positive --keys, --processes");
            return EXIT_BAD_INPUT;
        }
        try {
            History h = HistoryGenerator.generate(seed, generate, keys, processes, staleRead);
            HistoryWriter.writeEdn(h, files.get(0));
            out.println("wrote " + files.get(0) + ": " + generate + " operations on " + keys + " keys by " + processes
                    + " processes, seed " + seed
                    + (staleRead ? ", one stale read planted (not linearizable)" : " (linearizable by construction)"));
            return EXIT_OK;
        } catch (IOException | IllegalArgumentException | IllegalStateException e) {
            err.println("linden check: cannot generate: " + e.getMessage());
            return EXIT_BAD_INPUT;
        }
    }

    static void printDetails(PrintStream out, CheckResult r) {
        if (r.verdict() == Verdict.LINEARIZABLE) {
            if (r.operations() == 0) {
                out.println("  no client operations: linearizable with 0 operations");
            }
            return;
        }
        int decided = r.keys().size() - r.keysWith(Verdict.UNKNOWN).size();
        out.println("  model " + r.model() + ", " + r.operations() + " operations, "
                + r.keys().size() + " keys (" + decided + " decided)");
        for (KeyResult k : r.keys()) {
            String name = k.key().isEmpty() ? "history" : "key " + k.key();
            if (k.verdict() == Verdict.UNKNOWN) {
                out.println("  " + name + ": unknown (" + k.unknownReason() + "); longest linearizable prefix "
                        + k.linearization().size() + " of " + k.operations() + " operations");
            } else if (k.verdict() == Verdict.NOT_LINEARIZABLE) {
                Counterexample c = k.counterexample();
                out.println("  " + name + ": not linearizable (" + k.operations() + " operations)");
                out.println("    " + c.explanation());
                out.println("    cannot linearize: " + describe(c.op()));
                int shown = Math.min(8, c.concurrent().size());
                out.println("    concurrent with it: " + c.concurrent().size()
                        + (shown < c.concurrent().size() ? " (first " + shown + ")" : ""));
                for (Operation o : c.concurrent().subList(0, shown)) {
                    out.println("      " + describe(o));
                }
                out.println("    longest linearizable prefix: " + c.prefix().size() + " operations, ending in state "
                        + c.stateAfter());
            }
        }
    }

    static String describe(Operation o) {
        return o + "  [" + o.invokeTime() + ", " + (o.indeterminate() ? "?" : String.valueOf(o.returnTime())) + "]";
    }
}
