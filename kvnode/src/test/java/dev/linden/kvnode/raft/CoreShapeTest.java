package dev.linden.kvnode.raft;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The core stays readable: no file under {@code raft/} over 400 lines and no method over 80, so the rule
 * for each message fits on a screen and a new concern goes into a file of its own.
 */
class CoreShapeTest {
    private static final Path RAFT = Path.of("src", "main", "java", "dev", "linden", "kvnode", "raft");
    static final int MAX_FILE_LINES = 400;
    static final int MAX_METHOD_LINES = 80;
    private static final Pattern DECLARATION =
            Pattern.compile("^\\s*(?:(?:public|private|protected|static|final|synchronized|default)\\s+)*[\\w<>\\[\\], "
                    + ".?]+\\s+\\w+\\s*\\(.*\\{\\s*$");

    @Test
    void noCoreFileOverFourHundredLinesAndNoMethodOverEighty() throws IOException {
        List<String> over = new ArrayList<>();
        int files = 0;
        try (Stream<Path> s = Files.list(RAFT)) {
            for (Path f : s.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
                files++;
                List<String> lines = Files.readAllLines(f);
                if (lines.size() > MAX_FILE_LINES) {
                    over.add(f.getFileName() + ": " + lines.size() + " lines");
                }
                over.addAll(longMethods(f.getFileName().toString(), lines));
            }
        }
        assertTrue(files > 20, "the core's files were not found under " + RAFT.toAbsolutePath());
        assertTrue(over.isEmpty(), "over the limits: " + over);
    }

    /** Methods (and constructors) longer than the limit, found by brace depth from their declaration line. */
    static List<String> longMethods(String file, List<String> lines) {
        List<String> out = new ArrayList<>();
        int depth = 0;
        int start = -1;
        int startDepth = 0;
        for (int i = 0; i < lines.size(); i++) {
            String code =
                    lines.get(i).replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"").replaceAll("//.*$", "");
            if (start < 0
                    && depth >= 1
                    && DECLARATION.matcher(code).matches()
                    && !code.trim().matches("^(if|for|while|switch|catch|try|else|return|new|synchronized)\\b.*")) {
                start = i;
                startDepth = depth;
            }
            for (char ch : code.toCharArray()) {
                depth += ch == '{' ? 1 : ch == '}' ? -1 : 0;
            }
            if (start >= 0 && depth <= startDepth) {
                if (i - start + 1 > MAX_METHOD_LINES) {
                    out.add(file + ":" + (start + 1) + " " + (i - start + 1) + " lines: "
                            + lines.get(start).trim());
                }
                start = -1;
            }
        }
        return out;
    }

    @Test
    void theMethodCounterSeesALongMethod() {
        List<String> lines = new ArrayList<>(List.of("class X {", "    void long() {"));
        for (int i = 0; i < 90; i++) {
            lines.add("        x++;");
        }
        lines.add("    }");
        lines.add("}");
        assertTrue(longMethods("X.java", lines).size() == 1, "a 92-line method is found");
        List<String> shortOne = new ArrayList<>(lines.subList(0, 12));
        shortOne.add("    }");
        shortOne.add("}");
        assertTrue(longMethods("X.java", shortOne).isEmpty(), "a 12-line method is not");
    }
}
