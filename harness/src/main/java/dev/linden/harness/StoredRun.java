package dev.linden.harness;

import dev.linden.checker.history.Edn;
import dev.linden.checker.history.OpType;
import dev.linden.workloads.HistoryOp;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** Reads a stored run back: its test.json, results.json and history.edn, as the runner wrote them. */
public final class StoredRun {
    private StoredRun() {}

    /** {@code DIR}, or {@code latest} (then {@code store/latest}): the run directory it names. */
    public static Path resolve(String arg, Path storeRoot) throws IOException {
        Path p = arg.equals("latest") ? storeRoot.resolve("latest") : Path.of(arg);
        if (Files.isRegularFile(p)) {
            p = p.getParent();
        }
        if (!Files.isRegularFile(p.resolve("history.edn"))) {
            throw new IOException(p + " is not a stored run (no history.edn there)");
        }
        return p.toRealPath();
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> json(Path file) throws IOException {
        return Store.JSON.readValue(file.toFile(), LinkedHashMap.class);
    }

    /** The history, nemesis operations included; errors name FILE:LINE. */
    public static List<HistoryOp> history(Path file) throws IOException {
        List<HistoryOp> out = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8);
                Edn.Forms forms = new Edn.Forms(r)) {
            for (Object form = forms.next(); form != Edn.Forms.END; form = forms.next()) {
                if (!(form instanceof Map<?, ?> m)) {
                    throw new IOException(file + ":" + forms.line() + ": not an op map");
                }
                try {
                    out.add(op(m));
                } catch (RuntimeException e) {
                    throw new IOException(file + ":" + forms.line() + ": " + e.getMessage());
                }
            }
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage());
        }
        return out;
    }

    private static HistoryOp op(Map<?, ?> m) {
        Map<String, Object> f = new LinkedHashMap<>();
        m.forEach((k, v) -> f.put(name(k), v));
        Object process = f.get("process");
        int p = process instanceof Number n ? n.intValue() : HistoryOp.NEMESIS;
        Object key = f.get("key");
        return new HistoryOp(
                ((Number) f.get("index")).intValue(),
                ((Number) f.get("time")).longValue(),
                OpType.parse(name(f.get("type"))),
                p,
                name(f.get("f")),
                key == null ? null : String.valueOf(key),
                plain(f.get("value")),
                f.get("error") == null ? null : String.valueOf(f.get("error")),
                Boolean.TRUE.equals(f.get("final?")));
    }

    private static String name(Object o) {
        return o instanceof Edn.Keyword k ? k.name() : String.valueOf(o);
    }

    /** Keyword map keys become strings, as the runner's values have them; sets and lists stay what they are. */
    private static Object plain(Object v) {
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, x) -> out.put(name(k), plain(x)));
            return out;
        }
        if (v instanceof Set<?> s) {
            Set<Object> out = new TreeSet<>();
            for (Object x : s) {
                out.add(plain(x));
            }
            return out;
        }
        if (v instanceof Collection<?> c) {
            List<Object> out = new ArrayList<>();
            for (Object x : c) {
                out.add(plain(x));
            }
            return out;
        }
        return v;
    }
}
