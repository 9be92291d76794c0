package dev.linden.reports;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A stored run as the report reads it: test.json, results.json and history.json (one op object per
 * line), as the harness writes them. Read-only, and independent of the harness's classes: the report
 * renders what runs produce.
 */
final class RunData {
    static final ObjectMapper JSON = new ObjectMapper();

    /** One client or nemesis operation: its invocation and completion (completion null if it never came). */
    record Pair(
            int process,
            boolean nemesis,
            String f,
            String key,
            Object input,
            String type,
            Object output,
            long invokeNanos,
            long completeNanos,
            int invokeIndex) {
        boolean completed() {
            return completeNanos >= 0;
        }
    }

    final Map<String, Object> test;
    final Map<String, Object> results;
    final List<Pair> pairs = new ArrayList<>();
    long endNanos;

    @SuppressWarnings("unchecked")
    RunData(Path dir) throws IOException {
        test = Files.isRegularFile(dir.resolve("test.json"))
                ? JSON.readValue(dir.resolve("test.json").toFile(), LinkedHashMap.class)
                : new LinkedHashMap<>();
        results = Files.isRegularFile(dir.resolve("results.json"))
                ? JSON.readValue(dir.resolve("results.json").toFile(), LinkedHashMap.class)
                : new LinkedHashMap<>();
        Map<String, Integer> open = new HashMap<>();
        Path history = dir.resolve("history.json");
        if (!Files.isRegularFile(history)) {
            return;
        }
        try (BufferedReader r = Files.newBufferedReader(history, StandardCharsets.UTF_8)) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (line.isBlank()) {
                    continue;
                }
                Map<String, Object> op = JSON.readValue(line, LinkedHashMap.class);
                Object p = op.get("process");
                boolean nemesis = !(p instanceof Number);
                int process = nemesis ? -1 : ((Number) p).intValue();
                long t = ((Number) op.get("time")).longValue();
                endNanos = Math.max(endNanos, t);
                String type = String.valueOf(op.get("type"));
                String slot = nemesis ? "nemesis" : String.valueOf(process);
                if (type.equals("invoke")) {
                    open.put(slot, pairs.size());
                    pairs.add(new Pair(
                            process,
                            nemesis,
                            String.valueOf(op.get("f")),
                            (String) op.get("key"),
                            op.get("value"),
                            null,
                            null,
                            t,
                            -1,
                            ((Number) op.get("index")).intValue()));
                } else {
                    Integer at = open.remove(slot);
                    if (at != null) {
                        Pair i = pairs.get(at);
                        pairs.set(
                                at,
                                new Pair(
                                        i.process,
                                        i.nemesis,
                                        i.f,
                                        i.key,
                                        i.input,
                                        type,
                                        op.get("value"),
                                        i.invokeNanos,
                                        t,
                                        i.invokeIndex));
                    }
                }
            }
        }
    }

    String text(Object... path) {
        Object v = get(results, path);
        return v == null ? "" : String.valueOf(v);
    }

    static Object get(Object root, Object... path) {
        Object v = root;
        for (Object k : path) {
            if (!(v instanceof Map<?, ?> m)) {
                return null;
            }
            v = m.get(k);
        }
        return v;
    }
}
