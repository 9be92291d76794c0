package dev.linden.harness;

import dev.linden.workloads.HistoryOp;
import dev.linden.workloads.check.Validity;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What a test run found.
 *
 * @param valid     valid, invalid or unknown (a harness error is unknown, with {@code error} set)
 * @param exitCode  0 valid, 1 invalid, 2 unknown, 3 harness error: the same for test, analyze, sim and check
 * @param error     the harness error (the run could not be completed or checked), or null
 * @param results   what results.json holds: verdict, per-check outcomes, counts, latencies, faults
 * @param history   every operation recorded, nemesis operations included
 * @param storeDir  where the run was stored, or null
 */
public record TestResult(
        String name,
        long seed,
        Validity valid,
        int exitCode,
        String error,
        Map<String, Object> results,
        List<HistoryOp> history,
        Path storeDir,
        String replayCommand) {

    public boolean passed() {
        return exitCode == 0;
    }

    /** One paragraph for a person: the verdict, the failing checks and why, and where the run is stored. */
    public String summary() {
        StringBuilder b = new StringBuilder();
        b.append(name)
                .append(" seed ")
                .append(seed)
                .append(": ")
                .append(error != null ? "harness error" : valid.text());
        if (error != null) {
            b.append("\n  ").append(error.strip().replace("\n", "\n  "));
        }
        Object why = results.get("why");
        if (why instanceof List<?> l && !l.isEmpty()) {
            for (Object w : l) {
                b.append("\n  ").append(w);
            }
        }
        if (storeDir != null) {
            b.append("\n  stored in ").append(storeDir);
        }
        if (exitCode != 0 && replayCommand != null) {
            b.append("\n  replay: ").append(replayCommand);
        }
        return b.toString();
    }
}
