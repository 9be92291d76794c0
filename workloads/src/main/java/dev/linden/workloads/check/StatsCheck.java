package dev.linden.workloads.check;

import dev.linden.checker.history.OpType;
import dev.linden.workloads.HistoryOp;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Jepsen's {@code stats}: ok, fail and info counts of client operations, overall and per {@code :f}.
 * Invalid when some {@code :f} was attempted and never once succeeded (a workload that did nothing proves
 * nothing); those are listed.
 */
public final class StatsCheck implements Check {
    @Override
    public String name() {
        return "stats";
    }

    @Override
    public CheckOutcome check(List<HistoryOp> history) {
        Map<String, long[]> byF = new TreeMap<>(); // ok, fail, info
        long[] all = new long[3];
        for (Checks.Pair p : Checks.clientPairs(history)) {
            long[] c = byF.computeIfAbsent(p.invoke().f(), f -> new long[3]);
            int slot = p.outcome() == OpType.OK ? 0 : p.outcome() == OpType.FAIL ? 1 : 2;
            c[slot]++;
            all[slot]++;
        }
        Map<String, Object> d = new LinkedHashMap<>();
        d.putAll(counts(all));
        Map<String, Object> per = new LinkedHashMap<>();
        List<String> neverOk = new ArrayList<>();
        for (Map.Entry<String, long[]> e : byF.entrySet()) {
            per.put(e.getKey(), counts(e.getValue()));
            if (e.getValue()[0] == 0) {
                neverOk.add(e.getKey());
            }
        }
        d.put("by-f", per);
        d.put("never-ok", neverOk);
        return new CheckOutcome(name(), Validity.of(neverOk.isEmpty()), d);
    }

    private static Map<String, Object> counts(long[] c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("count", c[0] + c[1] + c[2]);
        m.put("ok-count", c[0]);
        m.put("fail-count", c[1]);
        m.put("info-count", c[2]);
        return m;
    }
}
