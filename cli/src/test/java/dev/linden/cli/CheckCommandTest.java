package dev.linden.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CheckCommandTest {
    @TempDir
    Path dir;

    private record Run(int exit, String out, String err) {}

    private Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CheckCommand cmd = new CheckCommand();
        new CommandLine(cmd).parseArgs(args);
        int exit = cmd.run(
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private Path write(String name, String text) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    private static final String OK = """
            {:type :invoke, :f :write, :value 1, :process 0}
            {:type :ok, :f :write, :value 1, :process 0}
            {:type :invoke, :f :read, :value nil, :process 1}
            {:type :ok, :f :read, :value 1, :process 1}
            """;
    private static final String BAD = OK.replace(":ok, :f :read, :value 1", ":ok, :f :read, :value 7");

    @Test
    void linearizableFileExitsZeroWithOneLine() throws Exception {
        Path f = write("ok.edn", OK);
        Run r = run(f.toString());
        assertEquals(0, r.exit());
        assertTrue(r.out().matches(Pattern.quote(f.toString()) + " linearizable \\d+\\n"), r.out());
    }

    @Test
    void illegalFileExitsOneAndExplains() throws Exception {
        Path f = write("bad.edn", BAD);
        Run r = run("--model", "register", f.toString());
        assertEquals(1, r.exit());
        assertTrue(r.out().startsWith(f + " not-linearizable "), r.out());
        assertTrue(r.out().contains("no operation ever wrote 7"), r.out());
    }

    @Test
    void budgetExhaustedExitsTwo() throws Exception {
        StringBuilder b = new StringBuilder();
        for (int p = 0; p < 18; p++) {
            b.append("{:type :invoke, :f :write, :value ")
                    .append(p)
                    .append(", :process ")
                    .append(p)
                    .append("}\n");
        }
        for (int p = 0; p < 18; p++) {
            b.append("{:type :info, :f :write, :value ")
                    .append(p)
                    .append(", :process ")
                    .append(p)
                    .append("}\n");
        }
        for (int i = 0; i < 30; i++) {
            b.append("{:type :invoke, :f :read, :process 100}\n{:type :ok, :f :read, :value ")
                    .append(i % 18)
                    .append(", :process 100}\n");
        }
        Path f = write("hard.edn", b.toString());
        Run r = run("--max-memory", "1", "--time-limit", "5", f.toString());
        assertEquals(2, r.exit(), r.out());
        assertTrue(r.out().startsWith(f + " unknown "), r.out());
    }

    @Test
    void malformedInputExitsThreeWithFileAndLine() throws Exception {
        Path f = write("broken.edn", OK + "{:type :ok, :f\n");
        Run r = run(f.toString());
        assertEquals(3, r.exit());
        assertTrue(r.err().contains("broken.edn:5"), r.err());
        assertEquals(3, run(dir.resolve("missing.edn").toString()).exit());
        assertEquals(3, run("--model", "nope", f.toString()).exit());
    }

    @Test
    void illegalWinsOverUnknownAndJsonIsMachineReadable() throws Exception {
        Path ok = write("ok.edn", OK);
        Path bad = write("bad.edn", BAD);
        Run r = run("--json", ok.toString(), bad.toString());
        assertEquals(1, r.exit());
        var tree = new ObjectMapper().readTree(r.out());
        assertEquals("linearizable", tree.get(0).get("verdict").asText());
        assertEquals("not-linearizable", tree.get(1).get("verdict").asText());
        assertTrue(tree.get(1)
                        .get("keys")
                        .get(0)
                        .get("counterexample")
                        .get("explanation")
                        .asText()
                        .length()
                > 10);
    }
}
