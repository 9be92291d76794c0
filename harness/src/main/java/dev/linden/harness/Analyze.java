package dev.linden.harness;

import dev.linden.workloads.HistoryOp;
import dev.linden.workloads.check.Check;
import dev.linden.workloads.check.CheckOutcome;
import dev.linden.workloads.check.Validity;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Jepsen's {@code analyze}: re-runs a stored test's checks on its stored history. The workload's checks,
 * stats, fault evidence and recovery are computed again from history.edn; what only the live run could
 * see (convergence, the cluster's invariants) is carried over from its results.json, and says so.
 */
public final class Analyze {
    private Analyze() {}

    /** The re-analysis and the verdict stored by the run, to compare. */
    public record Outcome(Path dir, Map<String, Object> results, Validity valid, Validity storedValid) {
        public int exitCode() {
            return valid.exitCode();
        }
    }

    public static Outcome run(Path dir) throws IOException {
        Map<String, Object> test = StoredRun.json(dir.resolve("test.json"));
        List<HistoryOp> history = StoredRun.history(dir.resolve("history.edn"));
        Map<String, Object> stored =
                dir.resolve("results.json").toFile().isFile() ? StoredRun.json(dir.resolve("results.json")) : Map.of();
        String workload = String.valueOf(test.get("workload"));
        int keys = ((Number) test.get("keys")).intValue();
        boolean nemesisConfigured =
                !"none".equals(test.get("nemesis")) || Boolean.TRUE.equals(test.get("custom-nemesis-generator"));
        Check.Options options = new Check.Options(
                ((Number) test.get("check-time-limit-millis")).longValue(),
                ((Number) test.get("check-max-memory-bytes")).longValue(),
                Math.max(1, Runtime.getRuntime().availableProcessors()));
        Set<String> recomputed = Set.of("workload", "stats", "faults", "recovery");
        List<CheckOutcome> carried = new ArrayList<>();
        if (stored.get("checks") instanceof Map<?, ?> checks) {
            for (Map.Entry<?, ?> e : checks.entrySet()) {
                String name = String.valueOf(e.getKey());
                if (!recomputed.contains(name) && e.getValue() instanceof Map<?, ?> m) {
                    Map<String, Object> details = new LinkedHashMap<>();
                    m.forEach((k, v) -> {
                        if (!"valid".equals(k)) {
                            details.put(String.valueOf(k), v);
                        }
                    });
                    details.put("carried-over", "recorded by the run; analyze cannot recompute it from the history");
                    carried.add(new CheckOutcome(name, Validity.parse(m.get("valid")), details));
                }
            }
        }
        Map<String, Object> facts = new LinkedHashMap<>();
        if (stored.get("run") instanceof Map<?, ?> run) {
            run.forEach((k, v) -> facts.put(String.valueOf(k), v));
        }
        String error =
                stored.get("error") == null ? null : "the stored run had a harness error: " + stored.get("error");
        Map<String, Object> results = Results.assemble(
                String.valueOf(test.get("name")),
                ((Number) test.get("seed")).longValue(),
                workload,
                keys,
                nemesisConfigured,
                options,
                List.of(),
                history,
                carried,
                facts,
                null);
        if (error != null) {
            results.put("stored-error", error);
        }
        return new Outcome(dir, results, Validity.parse(results.get("valid")), Validity.parse(stored.get("valid")));
    }
}
