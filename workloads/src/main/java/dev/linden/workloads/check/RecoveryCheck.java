package dev.linden.workloads.check;

import dev.linden.workloads.HistoryOp;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Liveness after healing: every operation of the final phase (the workload's final reads, issued once
 * every fault is healed and retried until they succeed) must have succeeded. One that never did means
 * the cluster did not recover, and the final reads the other checks rely on are missing.
 */
public final class RecoveryCheck implements Check {
    @Override
    public String name() {
        return "recovery";
    }

    @Override
    public CheckOutcome check(List<HistoryOp> history) {
        Set<String> wanted = new LinkedHashSet<>();
        Set<String> succeeded = new LinkedHashSet<>();
        long attempts = 0;
        for (Checks.Pair p : Checks.clientPairs(history)) {
            if (!p.invoke().finalPhase()) {
                continue;
            }
            attempts++;
            String what = p.invoke().f()
                    + (p.invoke().key() == null ? "" : " " + p.invoke().key());
            wanted.add(what);
            if (p.ok()) {
                succeeded.add(what);
            }
        }
        List<String> missing = new ArrayList<>(wanted);
        missing.removeAll(succeeded);
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("final-ops", wanted.size());
        d.put("attempts", attempts);
        d.put("succeeded", succeeded.size());
        d.put("never-succeeded", missing.size() > 20 ? missing.subList(0, 20) : missing);
        Validity v = Validity.of(missing.isEmpty());
        if (wanted.isEmpty()) {
            v = Validity.UNKNOWN; // the final phase never ran (the run stopped early): recovery was not tested
            d.put("why", "the final phase never ran, so recovery was not tested");
        }
        return new CheckOutcome(name(), v, d);
    }
}
