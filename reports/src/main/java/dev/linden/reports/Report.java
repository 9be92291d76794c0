package dev.linden.reports;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Renders a stored run as {@code index.html} in its directory: one self-contained page (inline CSS,
 * JavaScript and data, no fetch) with the verdict in plain words, the configuration and replay command,
 * counts, throughput and latency quantiles, a latency plot (every operation a point, coloured by
 * {@code :f} and outcome, quantile lines) and a rate plot, both with the fault windows shaded and
 * labelled, a timeline of operations per process, the counterexample drawn for a key that is not
 * linearizable, and what each fault did. Plots use uPlot (from its WebJar, inlined). Large histories
 * are downsampled for the plots and shown through a moving window in the timeline.
 */
public final class Report {
    private Report() {}

    /** Writes {@code dir/index.html} (through a temporary file and a rename) and returns its path. */
    public static Path render(Path dir) throws IOException {
        RunData run = new RunData(dir);
        String html = html(run);
        Path tmp = dir.resolve("index.html.tmp");
        Files.writeString(tmp, html, StandardCharsets.UTF_8);
        return Files.move(
                tmp, dir.resolve("index.html"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    static String html(RunData run) throws IOException {
        String verdict = verdictText(run.results.get("valid"));
        String title =
                run.test.getOrDefault("name", "run") + " seed " + run.test.getOrDefault("seed", "?") + ": " + verdict;
        String page = resource("report.html");
        return page.replace("{{TITLE}}", Html.esc(title))
                .replace("{{UPLOT_CSS}}", webjar("uPlot.min.css"))
                .replace("{{CSS}}", resource("report.css"))
                .replace("{{BODY}}", body(run, verdict))
                .replace("{{UPLOT_JS}}", webjar("uPlot.iife.min.js"))
                .replace("{{DATA}}", Html.scriptJson(PlotData.of(run)))
                .replace("{{JS}}", resource("report.js"));
    }

    static String verdictText(Object valid) {
        return Boolean.TRUE.equals(valid) ? "valid" : Boolean.FALSE.equals(valid) ? "invalid" : "unknown";
    }

    // ------------------------------------------------------------------ server-side sections

    private static String body(RunData run, String verdict) {
        StringBuilder b = new StringBuilder();
        b.append("<header class=\"verdict ")
                .append(verdict)
                .append("\"><h1 id=\"verdict\">")
                .append(Html.esc(plainVerdict(verdict)))
                .append("</h1><p class=\"subtitle\">")
                .append(Html.esc(String.valueOf(run.test.getOrDefault("name", ""))))
                .append(" &middot; seed ")
                .append(Html.esc(String.valueOf(run.test.getOrDefault("seed", ""))))
                .append(" &middot; ")
                .append(Html.esc(String.valueOf(run.test.getOrDefault("workload", ""))))
                .append(" &middot; nemesis ")
                .append(Html.esc(String.valueOf(run.test.getOrDefault("nemesis", ""))))
                .append("</p>");
        if (run.results.get("why") instanceof List<?> why && !why.isEmpty()) {
            b.append("<ul class=\"why\">");
            why.forEach(
                    w -> b.append("<li>").append(Html.esc(String.valueOf(w))).append("</li>"));
            b.append("</ul>");
        }
        b.append("</header>");
        config(run, b);
        counts(run, b);
        b.append("<section><h2>Latency</h2><p class=\"note\">Every operation is a point at the time it was invoked, "
                + "its height how long it took (log scale); lines are the p50, p95 and p99 of ok operations. Shaded: "
                + "fault windows.</p><div id=\"latency-plot\" class=\"plot\"></div></section>");
        b.append("<section><h2>Throughput</h2><div id=\"rate-plot\" class=\"plot\"></div></section>");
        b.append("<section><h2>Fault windows</h2><ul id=\"fault-windows\"></ul></section>");
        counterexamples(run, b);
        b.append("<section><h2>Timeline</h2><p class=\"note\">One column per worker thread (and the nemesis), time "
                + "downwards; each bar an operation from invocation to completion: <span class=\"k ok\">ok</span> "
                + "<span class=\"k fail\">fail</span> <span class=\"k info\">info</span>. Drag the slider to move the "
                + "window; hover a bar for the operation.</p><div class=\"controls\"><input id=\"timeline-from\" "
                + "type=\"range\" min=\"0\" max=\"1000\" value=\"0\">"
                + "<select id=\"timeline-span\"><option value=\"1\">1 s"
                + "</option><option value=\"5\" selected>5 s</option><option value=\"30\">30 s</option><option "
                + "value=\"300\">300 s</option></select><span id=\"timeline-range\"></span></div>"
                + "<div id=\"timeline-hover\">"
                + "</div><canvas id=\"timeline\" width=\"1100\" height=\"600\"></canvas></section>");
        faults(run, b);
        checks(run, b);
        return b.toString();
    }

    private static String plainVerdict(String verdict) {
        switch (verdict) {
            case "valid":
                return "Valid: no check found a problem";
            case "invalid":
                return "Invalid: a check found a violation";
            default:
                return "Unknown: the checks could not decide";
        }
    }

    private static void config(RunData run, StringBuilder b) {
        b.append("<section><h2>Test</h2><table class=\"kv\">");
        for (String k : List.of(
                "env",
                "nodes",
                "workload",
                "keys",
                "nemesis",
                "concurrency",
                "rate",
                "time-limit-millis",
                "seed",
                "started",
                "options")) {
            if (run.test.containsKey(k)) {
                b.append("<tr><th>")
                        .append(Html.esc(k))
                        .append("</th><td>")
                        .append(Html.esc(Html.compact(run.test.get(k))))
                        .append("</td></tr>");
            }
        }
        b.append("</table>");
        if (run.test.get("argv") instanceof List<?> argv && !argv.isEmpty()) {
            b.append("<p>Replay: <code id=\"replay\">");
            List<String> parts = new ArrayList<>();
            argv.forEach(a -> parts.add(String.valueOf(a)));
            b.append(Html.esc(String.join(" ", parts))).append("</code></p>");
        }
        b.append("</section>");
    }

    private static void counts(RunData run, StringBuilder b) {
        b.append("<section><h2>Operations</h2><table class=\"grid\" id=\"counts\">"
                + "<tr><th>:f</th><th>count</th><th>ok</th>"
                + "<th>fail</th><th>info</th></tr>");
        Object byF = RunData.get(run.results, "checks", "stats", "by-f");
        if (byF instanceof Map<?, ?> m) {
            m.forEach((f, c) -> b.append("<tr><td>")
                    .append(Html.esc(String.valueOf(f)))
                    .append("</td><td>")
                    .append(RunData.get(c, "count"))
                    .append("</td><td>")
                    .append(RunData.get(c, "ok-count"))
                    .append("</td><td>")
                    .append(RunData.get(c, "fail-count"))
                    .append("</td><td>")
                    .append(RunData.get(c, "info-count"))
                    .append("</td></tr>"));
        }
        b.append("</table><p>Throughput: ")
                .append(Html.esc(run.text("throughput-ok-per-second")))
                .append(" ok operations/s. Latency of ok operations (ms): ");
        Object lat = run.results.get("ok-latency-millis");
        if (lat instanceof Map<?, ?> m) {
            List<String> parts = new ArrayList<>();
            m.forEach((k, v) -> parts.add(k + " " + v));
            b.append(Html.esc(String.join(", ", parts)));
        }
        b.append(".</p></section>");
    }

    /** Every counterexample in the results, drawn: the failing operation, those concurrent, the prefix. */
    private static void counterexamples(RunData run, StringBuilder b) {
        List<Map<?, ?>> failures = new ArrayList<>();
        collectFailures(run.results.get("checks"), failures);
        if (failures.isEmpty()) {
            return;
        }
        b.append("<section id=\"counterexample\"><h2>Counterexample</h2>");
        int shown = 0;
        for (Map<?, ?> f : failures) {
            if (shown++ >= 3) {
                break;
            }
            b.append("<h3>Key ")
                    .append(Html.esc(String.valueOf(f.get("key"))))
                    .append("</h3><p class=\"sentence\">")
                    .append(Html.esc(
                            String.valueOf(f.get("explanation") != null ? f.get("explanation") : f.get("reason"))))
                    .append("</p>");
            if (f.get("ops") instanceof Map<?, ?> ops) {
                b.append(CounterexampleSvg.svg(ops));
            }
        }
        b.append("</section>");
    }

    private static void collectFailures(Object v, List<Map<?, ?>> out) {
        if (v instanceof Map<?, ?> m) {
            if (m.get("failures") instanceof List<?> l) {
                for (Object f : l) {
                    if (f instanceof Map<?, ?> fm) {
                        out.add(fm);
                    }
                }
            }
            for (Object x : m.values()) {
                collectFailures(x, out);
            }
        }
    }

    private static void faults(RunData run, StringBuilder b) {
        b.append("<section><h2>What the faults did</h2><table class=\"grid\" id=\"faults\">"
                + "<tr><th>time (s)</th><th>:f</th>"
                + "<th>asked</th><th>result</th></tr>");
        for (RunData.Pair p : run.pairs) {
            if (!p.nemesis()) {
                continue;
            }
            boolean none = RunData.get(p.output(), "effect") == null;
            b.append("<tr")
                    .append(none ? " class=\"no-effect\"" : "")
                    .append("><td>")
                    .append(String.format("%.3f", p.invokeNanos() / 1e9))
                    .append("</td><td>")
                    .append(Html.esc(p.f()))
                    .append("</td><td>")
                    .append(Html.esc(Html.compact(p.input())))
                    .append("</td><td>")
                    .append(Html.esc(Html.compact(p.output())))
                    .append("</td></tr>");
        }
        b.append("</table></section>");
    }

    private static void checks(RunData run, StringBuilder b) {
        b.append("<section><h2>Checks</h2>");
        if (run.results.get("checks") instanceof Map<?, ?> m) {
            m.forEach((name, c) -> {
                String v = verdictText(RunData.get(c, "valid"));
                b.append("<details class=\"check ")
                        .append(v)
                        .append("\"><summary>")
                        .append(Html.esc(String.valueOf(name)))
                        .append(": ")
                        .append(v)
                        .append("</summary><pre>")
                        .append(Html.esc(Html.pretty(c)))
                        .append("</pre></details>");
            });
        }
        b.append("</section>");
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = Report.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("missing report resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** A file of the uPlot WebJar on the classpath, to inline. */
    private static String webjar(String file) throws IOException {
        String path = "/META-INF/resources/webjars/uplot/" + UPLOT_VERSION + "/dist/" + file;
        try (InputStream in = Report.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IOException("uPlot is missing from the classpath: " + path);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static final String UPLOT_VERSION = "1.6.30";
}
