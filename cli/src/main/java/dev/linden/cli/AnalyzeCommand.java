package dev.linden.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.linden.harness.Analyze;
import dev.linden.harness.StoredRun;
import dev.linden.reports.Report;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ./linden analyze [DIR|latest]}: re-runs a stored test's checks on its stored history (Jepsen's
 * {@code analyze}). Exit 0 valid, 1 invalid, 2 unknown, 3 harness error (no such run, unreadable files).
 */
@Command(
        name = "analyze",
        mixinStandardHelpOptions = true,
        description = "Re-run the checks of a stored test on its stored history. Exit 0 valid, 1 invalid, 2 "
                + "unknown, 3 error.")
public final class AnalyzeCommand implements Callable<Integer> {
    @Parameters(arity = "0..1", paramLabel = "DIR|latest", description = "a run directory, or latest (default)")
    String run = "latest";

    @Option(names = "--store", description = "store directory, for latest (default ./store)")
    Path store = Path.of("store");

    @Option(names = "--json", description = "print the new results as JSON")
    boolean json;

    @Override
    public Integer call() {
        return run(System.out, System.err);
    }

    int run(PrintStream out, PrintStream err) {
        Analyze.Outcome o;
        try {
            Path dir = StoredRun.resolve(run, store);
            o = Analyze.run(dir);
        } catch (IOException | RuntimeException e) {
            err.println("linden analyze: " + e.getMessage());
            return 3;
        }
        if (json) {
            try {
                out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(o.results()));
            } catch (IOException e) {
                err.println("linden analyze: " + e.getMessage());
                return 3;
            }
        }
        out.println(o.dir() + ": " + o.valid().text() + " (the run itself found "
                + o.storedValid().text() + ")");
        try {
            out.println("report: " + Report.render(o.dir()));
        } catch (IOException | RuntimeException e) {
            err.println("linden analyze: cannot render the report: " + e.getMessage());
            return 3;
        }
        if (o.results().get("why") instanceof List<?> why) {
            why.forEach(w -> out.println("  " + w));
        }
        out.flush();
        return o.exitCode();
    }
}
