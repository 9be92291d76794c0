package dev.linden.harness;

import dev.linden.checker.history.HistoryWriter;
import dev.linden.checker.history.OpType;
import dev.linden.workloads.HistoryOp;
import java.math.BigInteger;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * EDN as Jepsen writes it: map keys that are names become keywords ({@code "valid"} becomes
 * {@code :valid?}, as in Jepsen's results), strings stay strings, lists are vectors, sets are sets, and
 * the history is one op map per line with {@code :process :nemesis} for faults.
 */
public final class EdnText {
    private static final Pattern KEYWORD = Pattern.compile("[A-Za-z*+!_?<>=\\-][A-Za-z0-9*+!_?<>=\\-./]*");

    private EdnText() {}

    /** One history line: {@code {:index 0, :time 0, :type :invoke, :process 0, :f :write, :key "k1", :value 3}}. */
    public static String op(HistoryOp op) {
        StringBuilder b = new StringBuilder(100);
        b.append("{:index ")
                .append(op.index())
                .append(", :time ")
                .append(op.timeNanos())
                .append(", :type :")
                .append(op.type().text())
                .append(", :process ")
                .append(op.nemesis() ? ":nemesis" : String.valueOf(op.process()))
                .append(", :f ")
                .append(keyword(op.f()));
        if (op.key() != null) {
            b.append(", :key ");
            value(b, op.key());
        }
        b.append(", :value ");
        value(b, op.value());
        if (op.error() != null) {
            b.append(", :error ");
            value(b, op.error());
        }
        if (op.finalPhase()) {
            b.append(", :final? true");
        }
        return b.append('}').toString();
    }

    /** A results map (or any value) as EDN, one top-level map entry per line for readability. */
    static String results(Map<String, Object> m) {
        StringBuilder b = new StringBuilder("{");
        int i = 0;
        for (Map.Entry<String, Object> e : m.entrySet()) {
            b.append(i++ == 0 ? "" : ",\n ").append(key(e.getKey())).append(' ');
            value(b, e.getKey().equals("valid") ? validity(e.getValue()) : e.getValue());
        }
        return b.append("}\n").toString();
    }

    private static Object validity(Object v) {
        return "unknown".equals(v) ? new Kw("unknown") : v;
    }

    private record Kw(String name) {}

    private static String keyword(String name) {
        return KEYWORD.matcher(name).matches() ? ":" + name : string(name);
    }

    private static String key(String k) {
        if (k.equals("valid")) {
            return ":valid?";
        }
        return KEYWORD.matcher(k).matches() ? ":" + k : string(k);
    }

    @SuppressWarnings("unchecked")
    static void value(StringBuilder b, Object v) {
        if (v == null) {
            b.append("nil");
        } else if (v instanceof Kw k) {
            b.append(':').append(k.name());
        } else if (v instanceof String s) {
            b.append(string(s));
        } else if (v instanceof OpType t) {
            b.append(':').append(t.text());
        } else if (v instanceof Map<?, ?> m) {
            b.append('{');
            int i = 0;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                b.append(i++ == 0 ? "" : ", ");
                if (e.getKey() instanceof String s) {
                    b.append(s.equals("valid") ? ":valid?" : key(s));
                } else {
                    value(b, e.getKey());
                }
                b.append(' ');
                value(b, "valid".equals(e.getKey()) ? validity(e.getValue()) : e.getValue());
            }
            b.append('}');
        } else if (v instanceof Set<?> s) {
            b.append("#{");
            int i = 0;
            for (Object o : s) {
                b.append(i++ == 0 ? "" : " ");
                value(b, o);
            }
            b.append('}');
        } else if (v instanceof Collection<?> c) {
            b.append('[');
            int i = 0;
            for (Object o : c) {
                b.append(i++ == 0 ? "" : " ");
                value(b, o);
            }
            b.append(']');
        } else if (v instanceof Double d) {
            b.append(d.isNaN() || d.isInfinite() ? "nil" : d.toString());
        } else if (v instanceof BigInteger big) {
            b.append(big).append('N');
        } else {
            b.append(v);
        }
    }

    static String string(String s) {
        return HistoryWriter.ednString(s);
    }

    static List<String> lines(List<HistoryOp> history) {
        return history.stream().map(EdnText::op).toList();
    }
}
