package dev.linden.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class BenchCommandTest {
    /** Scripts read the last line: it must be the summary, even when nodes in this process report at shutdown. */
    @Test
    void anInProcessRunEndsWithTheSummaryLine() {
        String[] lines =
                bench("--in-process", "--clients", "2", "--inflight", "4", "--duration", "1", "--warmup", "0.5");
        String last = lines[lines.length - 1];
        assertTrue(last.matches("throughput: \\d+ p99: \\d+\\.\\d{2}"), "last line: " + last);
        String all = String.join("\n", lines);
        // The 8 writes open when the window closes are reported apart, never as errors.
        assertTrue(all.contains("0 errors"), all);
        assertTrue(
                all.matches(
                        "(?s).*unfinished at the window's end: \\d+ \\(ok later \\d+, still open after 30 s 0\\).*"),
                all);
    }

    /** An open loop times each write from when it was due, at fixed shares of the closed-loop maximum too. */
    @Test
    void openLoopsAtARateAndAtSharesOfTheMaximum() {
        String all = String.join(
                "\n",
                bench(
                        "--in-process",
                        "--clients",
                        "2",
                        "--inflight",
                        "4",
                        "--duration",
                        "1",
                        "--warmup",
                        "0.5",
                        "--loads",
                        "50"));
        assertTrue(all.contains("closed loop: writes: "), all);
        assertTrue(all.matches("(?s).*open loop at 50% of the closed-loop maximum \\(\\d+/s\\): writes: [1-9].*"), all);
        assertTrue(all.contains("(from each write's due time: no coordinated omission)"), all);
    }

    private static String[] bench(String... args) {
        PrintStream saved = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            exit = new CommandLine(new BenchCommand()).execute(args);
        } finally {
            System.setOut(saved);
        }
        String[] lines = out.toString(StandardCharsets.UTF_8).strip().split("\n");
        assertEquals(0, exit, String.join("\n", lines));
        return lines;
    }
}
