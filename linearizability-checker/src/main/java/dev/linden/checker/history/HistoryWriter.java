package dev.linden.checker.history;

import java.io.IOException;
import java.io.Writer;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Writes histories as Jepsen's own tools read them: {@code history.edn}, one op map per line, with
 * {@code :index}, {@code :time} in nanoseconds, and keywords where Jepsen uses keywords ({@code :type},
 * {@code :f}, keyword values). Keys go in {@code :key}, or, when asked, as {@code jepsen.independent}
 * tuples {@code :value [key value]}. {@link HistoryReader} reads both back to the same operations.
 */
public final class HistoryWriter {
    private static final Pattern INTEGER = Pattern.compile("-?\\d{1,18}");
    private static final Pattern KEYWORD_NAME = Pattern.compile("[A-Za-z*+!_?<>=\\-][A-Za-z0-9*+!_?<>=\\-./]*");

    private HistoryWriter() {}

    public static void writeEdn(History h, Path file) throws IOException {
        writeEdn(h, file, false);
    }

    /** @param independentTuples write keys as Jepsen's independent tuples rather than {@code :key} */
    public static void writeEdn(History h, Path file, boolean independentTuples) throws IOException {
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (Event e : h.events()) {
                w.write(ednLine(e, independentTuples));
                w.write('\n');
            }
        }
    }

    /** One op map, as Jepsen prints it. */
    public static String ednLine(Event e, boolean independentTuples) {
        StringBuilder b = new StringBuilder(96);
        b.append("{:index ")
                .append(e.index())
                .append(", :time ")
                .append(e.timeNanos())
                .append(", :type :")
                .append(e.type().text())
                .append(", :process ")
                .append(e.process())
                .append(", :f ")
                .append(keyword(e.f()));
        if (independentTuples && e.key() != null) {
            b.append(", :value [")
                    .append(key(e.key()))
                    .append(' ')
                    .append(edn(e.value()))
                    .append(']');
        } else {
            if (e.key() != null) {
                b.append(", :key ").append(key(e.key()));
            }
            b.append(", :value ").append(edn(e.value()));
        }
        return b.append('}').toString();
    }

    private static String keyword(String name) {
        return KEYWORD_NAME.matcher(name).matches() ? ":" + name : edn(name);
    }

    /** Keys that look like integers were integers in Jepsen's histories (independent keys usually are). */
    private static String key(String k) {
        return INTEGER.matcher(k).matches() ? k : edn(k);
    }

    /** A string as an EDN string literal (quotes, backslashes and control characters escaped). */
    public static String ednString(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                case '\r' -> b.append("\\r");
                default -> b.append(c);
            }
        }
        return b.append('"').toString();
    }

    static String edn(Object v) {
        if (v == null) {
            return "nil";
        }
        if (v instanceof String s) {
            if (s.startsWith(":") && KEYWORD_NAME.matcher(s.substring(1)).matches()) {
                return s; // a keyword read from EDN
            }
            return ednString(s);
        }
        if (v instanceof Edn.Keyword k) {
            return k.toString();
        }
        if (v instanceof List<?> l) {
            StringBuilder b = new StringBuilder("[");
            for (int i = 0; i < l.size(); i++) {
                b.append(i == 0 ? "" : " ").append(edn(l.get(i)));
            }
            return b.append(']').toString();
        }
        if (v instanceof Set<?> s) {
            StringBuilder b = new StringBuilder("#{");
            int i = 0;
            for (Object o : s) {
                b.append(i++ == 0 ? "" : " ").append(edn(o));
            }
            return b.append('}').toString();
        }
        if (v instanceof Map<?, ?> m) {
            StringBuilder b = new StringBuilder("{");
            int i = 0;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                b.append(i++ == 0 ? "" : ", ")
                        .append(edn(e.getKey()))
                        .append(' ')
                        .append(edn(e.getValue()));
            }
            return b.append('}').toString();
        }
        if (v instanceof BigInteger big) {
            return big + "N";
        }
        return String.valueOf(v);
    }
}
