package dev.linden.harness;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.linden.nemesis.FaultKind;
import dev.linden.workloads.HistoryOp;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A run's directory, in Jepsen's layout: {@code store/<name>/<timestamp>/} with {@code test.json},
 * {@code history.edn}, {@code history.json}, {@code history.txt}, {@code results.json},
 * {@code results.edn} and node logs under {@code nodes/}; {@code store/latest} and
 * {@code store/<name>/latest} link to the newest run. Files are written as the run goes (the test
 * first, then the history, then the results), each through a temporary file and a rename, so a run
 * stopped half way leaves whole files.
 */
public final class Store {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final ObjectMapper JSON_LINE = new ObjectMapper();
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSSZ");

    private final Path root;
    private final Path dir;

    private Store(Path root, Path dir) {
        this.root = root;
        this.dir = dir;
    }

    public Path dir() {
        return dir;
    }

    /** A new, empty run directory under {@code root/name/}: the time it started, made unique. */
    static Store create(Path root, String name) throws IOException {
        Path parent = root.resolve(name);
        Files.createDirectories(parent);
        String stamp = ZonedDateTime.now().format(STAMP);
        for (int i = 0; i < 1000; i++) {
            Path d = parent.resolve(i == 0 ? stamp : stamp + "-" + i);
            try {
                Files.createDirectory(d);
                return new Store(root, d);
            } catch (FileAlreadyExistsException e) {
                // another run started in the same millisecond (a parallel sweep): next suffix
            }
        }
        throw new IOException("cannot create a unique run directory under " + parent);
    }

    void writeTest(TestSpec spec) throws IOException {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("name", spec.name());
        t.put("env", spec.env());
        t.put("nodes", spec.nodes());
        t.put("workload", spec.workload());
        t.put("keys", spec.keys());
        t.put("nemesis", FaultKind.format(spec.faults()));
        t.put("custom-nemesis-generator", spec.nemesisGenerator() != null);
        t.put("custom-client-generator", spec.clientGenerator() != null);
        Map<String, Object> sched = new LinkedHashMap<>();
        sched.put("mean-gap-millis", spec.schedule().meanGapMillis());
        sched.put("min-window-millis", spec.schedule().minWindowMillis());
        sched.put("max-window-millis", spec.schedule().maxWindowMillis());
        sched.put("max-concurrent", spec.schedule().maxConcurrent());
        sched.put("recovery-window-millis", spec.schedule().recoveryMillis());
        t.put("schedule", sched);
        t.put("concurrency", spec.concurrency());
        if (spec.readOnlyClients() > 0) {
            t.put("read-only-clients", spec.readOnlyClients());
        }
        t.put("time-limit-millis", spec.timeLimitMillis());
        t.put("rate", spec.rate());
        t.put("seed", spec.seed());
        t.put("check-time-limit-millis", spec.checkOptions().timeLimitMillis());
        t.put("check-max-memory-bytes", spec.checkOptions().maxMemoryBytes());
        t.put("recovery-wait-millis", spec.recoveryWaitMillis());
        t.put("final-time-limit-millis", spec.finalTimeLimitMillis());
        t.put("convergence-millis", spec.convergenceMillis());
        t.put("extra-checks", spec.extraChecks().stream().map(c -> c.name()).toList());
        t.put("options", spec.options());
        t.put("argv", spec.argv());
        t.put("started", ZonedDateTime.now().toString());
        t.put("java", System.getProperty("java.version"));
        writeAtomically("test.json", JSON.writeValueAsString(t) + "\n");
    }

    /** The history as recorded, before the cluster resolved :info operations: {@code history-original.edn}. */
    void writeOriginalHistory(List<HistoryOp> history) throws IOException {
        writeLines("history-original.edn", w -> {
            for (HistoryOp op : history) {
                w.write(EdnText.op(op));
                w.write('\n');
            }
        });
    }

    void writeHistory(List<HistoryOp> history) throws IOException {
        writeLines("history.edn", w -> {
            for (HistoryOp op : history) {
                w.write(EdnText.op(op));
                w.write('\n');
            }
        });
        writeLines("history.json", w -> {
            for (HistoryOp op : history) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("index", op.index());
                m.put("time", op.timeNanos());
                m.put("type", op.type().text());
                m.put("process", op.nemesis() ? "nemesis" : op.process());
                m.put("f", op.f());
                if (op.key() != null) {
                    m.put("key", op.key());
                }
                m.put("value", op.value());
                if (op.error() != null) {
                    m.put("error", op.error());
                }
                if (op.finalPhase()) {
                    m.put("final", true);
                }
                w.write(JSON_LINE.writeValueAsString(m));
                w.write('\n');
            }
        });
        writeLines("history.txt", w -> {
            for (HistoryOp op : history) {
                StringBuilder b = new StringBuilder();
                b.append(String.format(
                        "%10.3f %-8s %-6s %-16s",
                        op.timeNanos() / 1e6,
                        op.nemesis() ? ":nemesis" : String.valueOf(op.process()),
                        op.type().text(),
                        op.f() + (op.key() == null ? "" : " " + op.key())));
                StringBuilder v = new StringBuilder();
                EdnText.value(v, op.value());
                b.append(' ').append(v.length() > 200 ? v.substring(0, 200) + "..." : v);
                if (op.error() != null) {
                    b.append("  ").append(op.error());
                }
                w.write(b.toString().stripTrailing());
                w.write('\n');
            }
        });
    }

    void writeResults(Map<String, Object> results) throws IOException {
        writeAtomically("results.json", JSON.writeValueAsString(results) + "\n");
        writeAtomically("results.edn", EdnText.results(results));
    }

    /** Points {@code root/latest} and {@code root/name/latest} at this run (relative links). */
    void linkLatest() throws IOException {
        link(dir.getParent().resolve("latest"), dir.getFileName());
        link(root.resolve("latest"), root.relativize(dir));
    }

    private static void link(Path link, Path target) throws IOException {
        Path tmp = link.resolveSibling(
                link.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        Files.deleteIfExists(tmp);
        try {
            Files.createSymbolicLink(tmp, target);
            Files.move(tmp, link, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (UnsupportedOperationException e) {
            // no symbolic links on this file system: the run is still stored
        }
    }

    interface LineWriter {
        void write(BufferedWriter w) throws IOException;
    }

    private void writeLines(String name, LineWriter body) throws IOException {
        Path tmp = dir.resolve(name + ".tmp");
        try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            body.write(w);
        }
        Files.move(tmp, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private void writeAtomically(String name, String text) throws IOException {
        writeLines(name, w -> w.write(text));
    }

    /** Writes results of a re-analysis next to the stored ones. */
    static void writeResults(Path dir, Map<String, Object> results) throws IOException {
        new Store(dir.getParent() == null ? dir : dir.getParent(), dir).writeResults(results);
    }
}
