package dev.linden.reports;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;

/**
 * The data of a report's plots and timeline, embedded in the page as JSON: large histories are
 * downsampled here (points thinned, rates bucketed, the timeline bounded).
 */
final class PlotData {
    /** Latency points drawn at most; failed and unknown operations are always drawn, ok ones thinned. */
    static final int MAX_POINTS = 40_000;
    /** Operations the timeline carries (a window of them is drawn at a time). */
    static final int MAX_TIMELINE_OPS = 250_000;

    static final int MAX_BUCKETS = 300;

    private PlotData() {}

    /** The data the page's scripts draw: fs, fault windows, latency points, rate buckets, the timeline. */
    static Map<String, Object> of(RunData run) {
        List<String> fs = new ArrayList<>();
        List<RunData.Pair> client = new ArrayList<>();
        for (RunData.Pair p : run.pairs) {
            if (!p.nemesis()) {
                client.add(p);
                if (!fs.contains(p.f())) {
                    fs.add(p.f());
                }
            }
        }
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("fs", fs);
        d.put("endSeconds", run.endNanos / 1e9);
        d.put(
                "windows",
                FaultWindows.of(run).stream().map(FaultWindows.Window::asData).toList());
        d.put("points", points(client, fs));
        d.put("buckets", buckets(client, fs, run.endNanos));
        int concurrency = run.test.get("concurrency") instanceof Number n ? n.intValue() : 1;
        d.put("threads", concurrency);
        d.put("timeline", timeline(run, fs, concurrency));
        d.put("violations", violations(run));
        return d;
    }

    /** Violations drawn at most. */
    static final int MAX_VIOLATIONS = 100;

    /**
     * What the cluster's monitors found, where they found it: [ms since the run's start, label], from the
     * cluster check's {@code violations-at} (node, index, what), at most {@link #MAX_VIOLATIONS}.
     */
    private static List<Object[]> violations(RunData run) {
        List<Object[]> out = new ArrayList<>();
        if (RunData.get(run.results, "checks", "cluster", "violations-at") instanceof List<?> vs) {
            for (Object v : vs) {
                if (out.size() < MAX_VIOLATIONS && v instanceof Map<?, ?> m && m.get("ms") instanceof Number ms) {
                    String what = String.valueOf(m.get("what"));
                    out.add(new Object[] {ms.doubleValue(), what.length() > 160 ? what.substring(0, 160) + "..." : what
                    });
                }
            }
        }
        return out;
    }

    private static int typeCode(String type) {
        return "ok".equals(type) ? 0 : "fail".equals(type) ? 1 : 2;
    }

    /** Latency points: [invoke seconds, latency ms, f index, outcome code], ok ones thinned past MAX_POINTS. */
    private static List<double[]> points(List<RunData.Pair> client, List<String> fs) {
        long ok = client.stream().filter(p -> "ok".equals(p.type())).count();
        long other = client.size() - ok;
        long room = Math.max(1, MAX_POINTS - other);
        long stride = Math.max(1, (ok + room - 1) / room);
        List<double[]> out = new ArrayList<>();
        long seenOk = 0;
        for (RunData.Pair p : client) {
            if (!p.completed()) {
                continue;
            }
            int t = typeCode(p.type());
            if (t == 0 && seenOk++ % stride != 0) {
                continue;
            }
            double ms = Math.max(0.01, (p.completeNanos() - p.invokeNanos()) / 1e6);
            out.add(new double[] {round(p.invokeNanos() / 1e9, 6), round(ms, 3), fs.indexOf(p.f()), t});
        }
        return out;
    }

    /** Per time bucket: start seconds, width, ok count per f, fail, info, and p50/p95/p99 ms of ok latencies. */
    private static Map<String, Object> buckets(List<RunData.Pair> client, List<String> fs, long endNanos) {
        long width = Math.max(1_000_000_000L, (endNanos + MAX_BUCKETS - 1) / MAX_BUCKETS);
        int n = (int) (endNanos / width) + 1;
        long[][] okByF = new long[fs.size()][n];
        long[] fail = new long[n];
        long[] info = new long[n];
        TreeMap<Integer, Histogram> hist = new TreeMap<>();
        for (RunData.Pair p : client) {
            int i = (int) Math.min(n - 1, p.invokeNanos() / width);
            int t = typeCode(p.type());
            if (!p.completed() || t == 2) {
                info[i]++;
            } else if (t == 1) {
                fail[i]++;
            } else {
                okByF[fs.indexOf(p.f())][i]++;
                hist.computeIfAbsent(i, k -> new Histogram(3_600_000_000L, 3))
                        .recordValue(
                                Math.max(1, Math.min(3_600_000_000L, (p.completeNanos() - p.invokeNanos()) / 1000)));
            }
        }
        Map<String, Object> b = new LinkedHashMap<>();
        double[] x = new double[n];
        double[][] q = new double[3][n];
        for (int i = 0; i < n; i++) {
            x[i] = round((i + 0.5) * width / 1e9, 3);
            Histogram h = hist.get(i);
            double[] qs = {50, 95, 99};
            for (int j = 0; j < 3; j++) {
                q[j][i] = h == null ? Double.NaN : round(h.getValueAtPercentile(qs[j]) / 1000.0, 3);
            }
        }
        double perSecond = 1e9 / width;
        List<double[]> rates = new ArrayList<>();
        for (long[] c : okByF) {
            rates.add(scale(c, perSecond));
        }
        b.put("x", x);
        b.put("widthSeconds", width / 1e9);
        b.put("okRate", rates);
        b.put("failRate", scale(fail, perSecond));
        b.put("infoRate", scale(info, perSecond));
        b.put("p50", nulls(q[0]));
        b.put("p95", nulls(q[1]));
        b.put("p99", nulls(q[2]));
        return b;
    }

    private static double[] scale(long[] c, double k) {
        double[] out = new double[c.length];
        for (int i = 0; i < c.length; i++) {
            out[i] = round(c[i] * k, 2);
        }
        return out;
    }

    private static List<Double> nulls(double[] a) {
        List<Double> out = new ArrayList<>(a.length);
        for (double v : a) {
            out.add(Double.isNaN(v) ? null : v);
        }
        return out;
    }

    /** [column, start ms, end ms (-1: never completed), outcome, f index, process, label], by start. */
    private static List<Object[]> timeline(RunData run, List<String> fs, int threads) {
        List<Object[]> out = new ArrayList<>();
        for (RunData.Pair p : run.pairs) {
            if (out.size() >= MAX_TIMELINE_OPS) {
                break;
            }
            int column = p.nemesis() ? threads : Math.floorMod(p.process(), Math.max(1, threads));
            String label = (p.key() == null ? "" : p.key() + " ")
                    + Html.compact(p.input())
                    + (p.completed() && "ok".equals(p.type()) && !p.nemesis() ? " -> " + Html.compact(p.output()) : "");
            if (p.nemesis()) {
                label = Html.compact(p.output());
            }
            if (label.length() > 120) {
                label = label.substring(0, 120) + "...";
            }
            out.add(new Object[] {
                column,
                round(p.invokeNanos() / 1e6, 3),
                p.completed() ? round(p.completeNanos() / 1e6, 3) : -1,
                p.nemesis() ? 3 : p.completed() ? typeCode(p.type()) : 2,
                p.nemesis() ? -1 : fs.indexOf(p.f()),
                p.process(),
                (p.nemesis() ? p.f() + " " : "") + label
            });
        }
        return out;
    }

    static double round(double v, int digits) {
        double k = Math.pow(10, digits);
        return Math.round(v * k) / k;
    }
}
