package dev.linden.workloads.check;

import dev.linden.workloads.HistoryOp;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The list-append workload's checks: linearizability per key (appends of unique values, reads of whole
 * lists, checked with the append model: a read reveals the order of every append it saw), and an account
 * of appends: acknowledged ones missing from the final read of their key are lost, elements read that
 * nobody appended are unexpected, and an element read twice in one list is duplicated.
 */
public final class ListAppendCheck implements Check {
    private final LinearizableCheck linearizable;

    public ListAppendCheck(Options options) {
        this.linearizable = new LinearizableCheck("append", options, ListAppendCheck::asString);
    }

    /** The append model's vocabulary: an element is its digits and a comma, a list is their concatenation. */
    static HistoryOp asString(HistoryOp op) {
        Object v = op.value();
        Object s;
        if (v instanceof Collection<?> c) {
            StringBuilder b = new StringBuilder();
            for (Object e : c) {
                b.append(e).append(',');
            }
            s = b.toString();
        } else if (v instanceof Number n) {
            s = n.longValue() + ",";
        } else {
            s = v;
        }
        return new HistoryOp(
                op.index(), op.timeNanos(), op.type(), op.process(), op.f(), op.key(), s, op.error(), op.finalPhase());
    }

    @Override
    public String name() {
        return "list-append";
    }

    @Override
    public CheckOutcome check(List<HistoryOp> history) {
        CheckOutcome lin = linearizable.check(history);
        Map<String, Set<Long>> attempted = new TreeMap<>();
        Map<String, List<Long>> acknowledged = new TreeMap<>();
        Map<String, List<?>> finalRead = new HashMap<>();
        List<Object> duplicated = new ArrayList<>();
        for (Checks.Pair p : Checks.clientPairs(history)) {
            String key = p.invoke().key();
            if (p.invoke().f().equals("append")) {
                long v = ((Number) p.invoke().value()).longValue();
                attempted.computeIfAbsent(key, k -> new HashSet<>()).add(v);
                if (p.ok()) {
                    acknowledged.computeIfAbsent(key, k -> new ArrayList<>()).add(v);
                }
            } else if (p.ok() && p.completion().value() instanceof List<?> list) {
                if (new HashSet<>(list).size() != list.size() && duplicated.size() < 10) {
                    duplicated.add(
                            Checks.ordered("key", key, "index", p.completion().index()));
                }
                if (p.invoke().finalPhase()) {
                    finalRead.put(key, list);
                }
            }
        }
        List<Object> lost = new ArrayList<>();
        long lostCount = 0;
        for (Map.Entry<String, List<Long>> e : acknowledged.entrySet()) {
            List<?> last = finalRead.get(e.getKey());
            if (last == null) {
                continue; // no final read of the key: the recovery check reports that
            }
            Set<Long> seen = new HashSet<>();
            last.forEach(x -> seen.add(((Number) x).longValue()));
            for (long v : e.getValue()) {
                if (!seen.contains(v)) {
                    lostCount++;
                    if (lost.size() < 20) {
                        lost.add(Checks.ordered("key", e.getKey(), "element", v));
                    }
                }
            }
        }
        List<Object> unexpected = new ArrayList<>();
        for (Map.Entry<String, List<?>> e : finalRead.entrySet()) {
            Set<Long> a = attempted.getOrDefault(e.getKey(), Set.of());
            for (Object x : e.getValue()) {
                if (!a.contains(((Number) x).longValue()) && unexpected.size() < 20) {
                    unexpected.add(Checks.ordered("key", e.getKey(), "element", x));
                }
            }
        }
        Map<String, Object> d = new LinkedHashMap<>();
        d.put(
                "attempted-count",
                attempted.values().stream().mapToLong(Set::size).sum());
        d.put(
                "acknowledged-count",
                acknowledged.values().stream().mapToLong(List::size).sum());
        d.put("lost-count", lostCount);
        d.put("lost", lost);
        d.put("unexpected", unexpected);
        d.put("duplicated", duplicated);
        d.put("linearizable", lin.asMap());
        Validity v = lin.valid().and(Validity.of(lostCount == 0 && unexpected.isEmpty() && duplicated.isEmpty()));
        return new CheckOutcome(name(), v, d);
    }
}
