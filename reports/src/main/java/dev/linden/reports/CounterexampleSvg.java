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
final class CounterexampleSvg {
    private static final int WIDTH = 1100;
    private static final int LEFT = 70;
    private static final int ROW = 26;
    static final int PREFIX_SHOWN = 6;

    private record Bar(Map<?, ?> op, String role) {}

    private final List<Bar> bars;
    /** The time axis, nanoseconds: its left and right edges, and pixels per nanosecond. */
    private final long t0;

    private final long t1;
    private final double scale;
    /** Process to row, in process order. */
    private final TreeMap<Long, Integer> rows = new TreeMap<>();

    private final StringBuilder s = new StringBuilder();

    private CounterexampleSvg(List<Bar> bars) {
        this.bars = bars;
        // The axis spans the failing operation and those concurrent with it (plus a margin); earlier prefix
        // operations are clipped at its left edge, so the failure is never squeezed into a corner.
        long from = Long.MAX_VALUE;
        long to = Long.MIN_VALUE;
        for (Bar b : bars) {
            if (b.role.equals("prefix")) {
                continue;
            }
            long inv = num(b.op, "invoke-nanos");
            long ret = num(b.op, "return-nanos");
            from = Math.min(from, inv);
            to = Math.max(to, Math.max(inv, ret));
        }
        long span = Math.max(1, to - from);
        t0 = from - span / 4;
        t1 = to + span / 20 + 1;
        scale = (WIDTH - LEFT - 10) / (double) (t1 - t0);
        for (Bar b : bars) {
            rows.putIfAbsent(num(b.op, "process"), 0);
        }
        int r = 0;
        for (Long p : rows.keySet()) {
            rows.put(p, r++);
        }
    }

    /** The drawing (with its legend) of a counterexample's {@code prefix}, {@code concurrent} and {@code op}. */
    static String svg(Map<?, ?> ops) {
        List<Bar> bars = barsOf(ops);
        return bars.isEmpty() ? "" : new CounterexampleSvg(bars).draw();
    }

    private static List<Bar> barsOf(Map<?, ?> ops) {
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
        return bars;
    }

    private String draw() {
        int height = rows.size() * ROW + 40;
        s.append("<svg class=\"counterexample\" xmlns=\"http://www.w3.org/2000/svg\" width=\"")
                .append(WIDTH)
                .append("\" height=\"")
                .append(height)
                .append("\" viewBox=\"0 0 ")
                .append(WIDTH)
                .append(' ')
                .append(height)
                .append("\">");
        drawRows();
        for (Bar b : bars) {
            drawBar(b);
        }
        drawAxis();
        s.append("</svg><p class=\"legend\"><span class=\"k failing\">cannot be linearized</span> "
                + "<span class=\"k concurrent\">concurrent with it</span> <span class=\"k prefix\">end of the longest "
                + "linearizable prefix</span></p>");
        return s.toString();
    }

    /** Per process: its name and the line under its row. */
    private void drawRows() {
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
    }

    private void drawBar(Bar b) {
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

    /** The times of the axis's two ends, under the rows. */
    private void drawAxis() {
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
