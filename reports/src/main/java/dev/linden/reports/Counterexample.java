package dev.linden.reports;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A counterexample drawn as SVG: each operation a bar from invocation to completion on a shared time
 * axis, one row per process; the operation that cannot be linearized in red, those concurrent with it in
 * orange, the end of the longest linearizable prefix in green. An operation whose outcome is unknown runs
 * to the right edge, dashed.
 */
final class Counterexample {
    private static final int WIDTH = 1100;
    private static final int LEFT = 70;
    private static final int ROW = 26;
    static final int PREFIX_SHOWN = 6;

    private Counterexample() {}

    private record Bar(Map<?, ?> op, String role) {}

    static String svg(Map<?, ?> ops) {
        List<Bar> bars = new ArrayList<>();
        if (ops.get("prefix") instanceof List<?> l) {
            // The end of the prefix only: what the failing operation had to follow.
            l.subList(Math.max(0, l.size() - PREFIX_SHOWN), l.size())
                    .forEach(o -> bars.add(new Bar((Map<?, ?>) o, "prefix")));
        }
        if (ops.get("concurrent") instanceof List<?> l) {
            l.forEach(o -> bars.add(new Bar((Map<?, ?>) o, "concurrent")));
        }
        if (ops.get("op") instanceof Map<?, ?> m) {
            bars.add(new Bar(m, "failing"));
        }
        if (bars.isEmpty()) {
            return "";
        }
        // The axis spans the failing operation and those concurrent with it (plus a margin); earlier prefix
        // operations are clipped at its left edge, so the failure is never squeezed into a corner.
        long t0 = Long.MAX_VALUE;
        long t1 = Long.MIN_VALUE;
        for (Bar b : bars) {
            if (b.role.equals("prefix")) {
                continue;
            }
            long inv = num(b.op, "invoke-nanos");
            long ret = num(b.op, "return-nanos");
            t0 = Math.min(t0, inv);
            t1 = Math.max(t1, Math.max(inv, ret));
        }
        long span = Math.max(1, t1 - t0);
        t0 -= span / 4;
        t1 += span / 20 + 1;
        TreeMap<Long, Integer> rows = new TreeMap<>();
        for (Bar b : bars) {
            rows.putIfAbsent(num(b.op, "process"), 0);
        }
        int r = 0;
        for (Long p : rows.keySet()) {
            rows.put(p, r++);
        }
        int height = rows.size() * ROW + 40;
        StringBuilder s = new StringBuilder();
        s.append("<svg class=\"counterexample\" xmlns=\"http://www.w3.org/2000/svg\" width=\"")
                .append(WIDTH)
                .append("\" height=\"")
                .append(height)
                .append("\" viewBox=\"0 0 ")
                .append(WIDTH)
                .append(' ')
                .append(height)
                .append("\">");
        double scale = (WIDTH - LEFT - 10) / (double) (t1 - t0);
        for (Map.Entry<Long, Integer> e : rows.entrySet()) {
            int y = 10 + e.getValue() * ROW;
            s.append("<text x=\"4\" y=\"")
                    .append(y + 16)
                    .append("\" class=\"proc\">p")
                    .append(e.getKey())
                    .append("</text>");
            s.append("<line x1=\"")
                    .append(LEFT)
                    .append("\" x2=\"")
                    .append(WIDTH - 10)
                    .append("\" y1=\"")
                    .append(y + ROW - 2)
                    .append("\" y2=\"")
                    .append(y + ROW - 2)
                    .append("\" class=\"row\"/>");
        }
        for (Bar b : bars) {
            long inv = num(b.op, "invoke-nanos");
            long ret = num(b.op, "return-nanos");
            boolean open = ret < 0 || Boolean.TRUE.equals(b.op.get("indeterminate"));
            boolean clipped = inv < t0;
            double x0 = LEFT + (Math.max(inv, t0) - t0) * scale;
            double x1 = open ? WIDTH - 10 : LEFT + (Math.max(ret, t0) - t0) * scale;
            int y = 10 + rows.get(num(b.op, "process")) * ROW;
            String text = String.valueOf(b.op.get("text"));
            s.append("<g class=\"op ")
                    .append(b.role)
                    .append(open ? " open" : "")
                    .append("\"><title>")
                    .append(Html.esc(
                            b.role + ": " + text + " [" + ms(inv) + " ms .. " + (open ? "?" : ms(ret) + " ms") + "]"))
                    .append("</title><rect x=\"")
                    .append(fmt(x0))
                    .append("\" y=\"")
                    .append(y + 2)
                    .append("\" width=\"")
                    .append(fmt(Math.max(2, x1 - x0)))
                    .append("\" height=\"")
                    .append(ROW - 6)
                    .append("\" rx=\"3\"/>")
                    .append("<text x=\"")
                    .append(fmt(x0 + 3))
                    .append("\" y=\"")
                    .append(y + 16)
                    .append("\">")
                    .append(clipped ? "&#9664; " : "")
                    .append(Html.esc(text.length() > 60 ? text.substring(0, 60) + "..." : text))
                    .append("</text></g>");
        }
        int axisY = rows.size() * ROW + 22;
        s.append("<text x=\"")
                .append(LEFT)
                .append("\" y=\"")
                .append(axisY + 10)
                .append("\" class=\"axis\">")
                .append(ms(t0))
                .append(" ms</text><text x=\"")
                .append(WIDTH - 10)
                .append("\" y=\"")
                .append(axisY + 10)
                .append("\" class=\"axis\" text-anchor=\"end\">")
                .append(ms(t1))
                .append(" ms</text>");
        s.append("</svg><p class=\"legend\"><span class=\"k failing\">cannot be linearized</span> "
                + "<span class=\"k concurrent\">concurrent with it</span> <span class=\"k prefix\">end of the longest "
                + "linearizable prefix</span></p>");
        return s.toString();
    }

    private static long num(Map<?, ?> m, String k) {
        Object v = m.get(k);
        return v instanceof Number n ? n.longValue() : -1;
    }

    private static String ms(long nanos) {
        return String.format("%.3f", nanos / 1e6);
    }

    private static String fmt(double d) {
        return String.format(Locale.ROOT, "%.1f", d);
    }
}
