package dev.linden.checker.history;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Writes histories as Jepsen EDN, one op map per line (what {@link HistoryReader} reads back). */
public final class HistoryWriter {
    private HistoryWriter() {}

    public static void writeEdn(History h, Path file) throws IOException {
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (Event e : h.events()) {
                w.write("{:index " + e.index() + ", :type :" + e.type().text() + ", :process " + e.process() + ", :f :"
                        + e.f() + (e.key() == null ? "" : ", :key " + edn(e.key())) + ", :value " + edn(e.value())
                        + ", :time " + e.timeNanos() + "}\n");
            }
        }
    }

    static String edn(Object v) {
        if (v == null) {
            return "nil";
        }
        if (v instanceof String s) {
            if (s.startsWith(":") && s.length() > 1 && s.indexOf(' ') < 0) {
                return s; // a keyword read from EDN
            }
            return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
        }
        if (v instanceof List<?> l) {
            StringBuilder b = new StringBuilder("[");
            for (int i = 0; i < l.size(); i++) {
                b.append(i == 0 ? "" : " ").append(edn(l.get(i)));
            }
            return b.append(']').toString();
        }
        if (v instanceof java.util.Set<?> s) {
            StringBuilder b = new StringBuilder("#{");
            int i = 0;
            for (Object o : s) {
                b.append(i++ == 0 ? "" : " ").append(edn(o));
            }
            return b.append('}').toString();
        }
        return String.valueOf(v);
    }
}
