package dev.linden.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/** Runs {@code ./linden test} in this JVM, stored under a test's directory, and keeps what it printed. */
final class TestRuns {
    record Run(int exit, String out) {}

    private TestRuns() {}

    /** {@code args} plus {@code --store DIR/store --quiet}, and {@code --env ENV} unless {@code env} is null. */
    static Run test(Path dir, String env, String... args) {
        TestCommand c = new TestCommand();
        List<String> a = new ArrayList<>(List.of(args));
        if (env != null) {
            a.addAll(List.of("--env", env));
        }
        a.addAll(List.of("--store", dir.resolve("store").toString(), "--quiet"));
        new CommandLine(c).parseArgs(a.toArray(String[]::new));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit =
                c.run(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream()));
        return new Run(exit, out.toString(StandardCharsets.UTF_8));
    }
}
