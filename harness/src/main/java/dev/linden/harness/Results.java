package dev.linden.harness;

import dev.linden.checker.history.OpType;
import dev.linden.nemesis.FaultOps;
import dev.linden.workloads.HistoryOp;
import dev.linden.workloads.Workload;
import dev.linden.workloads.check.Check;
import dev.linden.workloads.check.CheckOutcome;
import dev.linden.workloads.check.Checks;
import dev.linden.workloads.check.FaultEvidenceCheck;
import dev.linden.workloads.check.RecoveryCheck;
import dev.linden.workloads.check.StatsCheck;
import dev.linden.workloads.check.Validity;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a test's checks over its history and assembles what results.json and results.edn hold: the
 * verdict and why, each check's outcome, counts, throughput, latency quantiles and the faults with their
 * evidence. The same code serves {@code test} and {@code analyze}, so re-analysis of a stored history
 * reproduces the verdict.
 */
final class Results {
    private static final long MS = 1_000_000L;
    static final int MAX_FAULTS_LISTED = 1000;

    private Results() {}

    /** The checks a test runs from its history alone (what analyze re-runs). */
    static List<Check> historyChecks(
            String workload, int keys, boolean nemesisConfigured, Check.Options options, List<Check> extra) {
        List<Check> checks = new ArrayList<>();
        Check w = Workload.named(workload, keys).checker(options);
        checks.add(new Check() {
            @Override
            public String name() {
                return "workload";
            }

            @Override
            public CheckOutcome check(List<HistoryOp> history) {
                CheckOutcome o = w.check(history);
                return new CheckOutcome(name(), o.valid(), o.details());
            }
        });
        checks.add(new StatsCheck());
        checks.add(new FaultEvidenceCheck(nemesisConfigured));
        checks.add(new RecoveryCheck());
        checks.addAll(extra);
        return checks;
    }

    /**
     * @param recorded outcomes only the run could establish (convergence, the cluster's invariants), stored
     *                 and carried over by analyze
     */
    static Map<String, Object> assemble(
            String name,
            long seed,
            String workload,
            int keys,
            boolean nemesisConfigured,
            Check.Options options,
            List<Check> extra,
            List<HistoryOp> history,
            List<CheckOutcome> recorded,
            Map<String, Object> facts,
            String error) {
        Map<String, Object> checks = new LinkedHashMap<>();
        Validity valid = Validity.TRUE;
        List<String> why = new ArrayList<>();
        for (Check c : historyChecks(workload, keys, nemesisConfigured, options, extra)) {
            CheckOutcome o = c.check(history);
            valid = valid.and(o.valid());
            checks.put(o.name(), o.asMap());
            explain(o.name(), o.valid(), o.asMap(), why);
        }
        List<String> first = new ArrayList<>();
        for (CheckOutcome o : recorded) {
            valid = valid.and(o.valid());
            checks.put(o.name(), o.asMap());
            // What the cluster itself saw (a safety violation) explains the rest: it goes first.
            explain(o.name(), o.valid(), o.asMap(), o.name().equals("cluster") ? first : why);
        }
        why.addAll(0, first);
        why.sort(Comparator.comparingInt(w -> w.contains(" invalid") ? 0 : 1)); // stable: invalid before unknown
        if (error != null) {
            valid = valid == Validity.FALSE ? Validity.FALSE : Validity.UNKNOWN;
            why.add(0, "harness error: " + error.lines().findFirst().orElse(""));
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("valid", valid.asValue());
        r.put("why", why);
        Map<String, Object> test = new LinkedHashMap<>();
        test.put("name", name);
        test.put("seed", seed);
        test.put("workload", workload);
        r.put("test", test);
        r.put("checks", checks);
        r.putAll(performance(history));
        r.put("faults", faults(history));
        r.put("run", facts);
        if (error != null) {
            r.put("error", error);
        }
        return r;
    }

    static Map<String, Object> errorOnly(String name, long seed, String error, Map<String, Object> facts) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("valid", "unknown");
        r.put("why", List.of("harness error: " + error.lines().findFirst().orElse("")));
        r.put("test", Checks.ordered("name", name, "seed", seed));
        r.put("run", facts);
        r.put("error", error);
        return r;
    }

    /** One line per failing check, with what a person needs first. */
    static void explain(String name, Validity v, Map<String, Object> m, List<String> why) {
        if (v == Validity.TRUE) {
            return;
        }
        String reason = reason(m);
        why.add(name + " " + v.text() + (reason.isEmpty() ? "" : ": " + reason));
    }

    private static String reason(Map<String, Object> m) {
        if (m.get("why") != null) {
            return String.valueOf(m.get("why"));
        }
        for (Object v : m.values()) {
            if (v instanceof Map<?, ?> sub && Validity.parse(sub.get("valid")) != Validity.TRUE) {
                @SuppressWarnings("unchecked")
                Map<String, Object> s = (Map<String, Object>) sub;
                String inner = reason(s);
                if (!inner.isEmpty()) {
                    return inner;
                }
            }
        }
        if (m.get("failures") instanceof List<?> f && !f.isEmpty() && f.get(0) instanceof Map<?, ?> first) {
            Object e = first.get("explanation");
            return "key " + first.get("key") + ": "
                    + (e != null ? e : first.get("verdict") + " (" + first.get("reason") + ")");
        }
        List<String> parts = new ArrayList<>();
        for (String k : List.of(
                "lost-count", "stale-count", "never-ok", "never-succeeded", "unexpected", "duplicated", "violations")) {
            Object v = m.get(k);
            if (v instanceof Number n && n.longValue() > 0) {
                parts.add(k + " " + n);
            } else if (v instanceof List<?> l && !l.isEmpty()) {
                parts.add(k + " " + l);
            }
        }
        if (m.get("lost") instanceof List<?> l && !l.isEmpty()) {
            parts.add("lost " + l);
        }
        return String.join(", ", parts);
    }

    private static Map<String, Object> performance(List<HistoryOp> history) {
        List<Checks.Pair> pairs = Checks.clientPairs(history);
        long mainEndNanos =
                history.isEmpty() ? 0 : history.get(history.size() - 1).timeNanos();
        for (HistoryOp op : history) {
            if (op.nemesis() && op.f().equals(FaultOps.HEAL)) {
                mainEndNanos = op.timeNanos(); // the main phase ends where healing begins
                break;
            }
        }
        long[] latencies = new long[pairs.size()];
        int n = 0;
        long ok = 0;
        long fail = 0;
        long info = 0;
        long firstNanos = Long.MAX_VALUE;
        long okInMain = 0;
        for (Checks.Pair p : pairs) {
            firstNanos = Math.min(firstNanos, p.invoke().timeNanos());
            if (p.ok()) {
                ok++;
                latencies[n++] = p.completion().timeNanos() - p.invoke().timeNanos();
                if (!p.invoke().finalPhase()) {
                    okInMain++;
                }
            } else if (p.outcome() == OpType.FAIL) {
                fail++;
            } else {
                info++;
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        Map<String, Object> counts = new LinkedHashMap<>();
        counts.put("invoked", (long) pairs.size());
        counts.put("ok", ok);
        counts.put("fail", fail);
        counts.put("info", info);
        out.put("counts", counts);
        long span = mainEndNanos > 0 && firstNanos != Long.MAX_VALUE ? mainEndNanos - firstNanos : 0;
        out.put("throughput-ok-per-second", span > 0 ? Math.round(okInMain * 1e10 / span) / 10.0 : 0.0);
        long[] sorted = Arrays.copyOf(latencies, n);
        Arrays.sort(sorted);
        Map<String, Object> lat = new LinkedHashMap<>();
        String[] names = {"p50", "p90", "p99", "p99.9"};
        double[] qs = {0.5, 0.9, 0.99, 0.999};
        for (int i = 0; i < qs.length; i++) {
            lat.put(names[i], n == 0 ? 0.0 : millis(sorted[Math.min(n - 1, (int) Math.floor(qs[i] * n))]));
        }
        lat.put("max", n == 0 ? 0.0 : millis(sorted[n - 1]));
        out.put("ok-latency-millis", lat);
        return out;
    }

    private static double millis(long nanos) {
        return Math.round(nanos / 1e4) / 100.0;
    }

    /** Each fault operation with its evidence, in order. */
    private static List<Object> faults(List<HistoryOp> history) {
        List<Object> out = new ArrayList<>();
        for (Checks.Pair p : Checks.nemesisPairs(history)) {
            if (out.size() >= MAX_FAULTS_LISTED) {
                break;
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("f", p.invoke().f());
            m.put("time-millis", p.invoke().timeNanos() / MS);
            if (p.invoke().value() != null) {
                m.put("asked", p.invoke().value());
            }
            m.put(
                    "result",
                    p.completion() == null ? "never completed" : p.completion().value());
            out.add(m);
        }
        return out;
    }
}
