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
        PrintStream saved = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            exit = new CommandLine(new BenchCommand())
                    .execute("--in-process", "--clients", "2", "--inflight", "4", "--duration", "1", "--warmup", "0.5");
        } finally {
            System.setOut(saved);
        }
        String[] lines = out.toString(StandardCharsets.UTF_8).strip().split("\n");
        assertEquals(0, exit, String.join("\n", lines));
        String last = lines[lines.length - 1];
        assertTrue(last.matches("throughput: \\d+ p99: \\d+\\.\\d{2}"), "last line: " + last);
    }
}
