package dev.linden.workloads.check;

import dev.linden.workloads.HistoryOp;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Did the faults happen? Every nemesis operation's completion says what it observably did
 * ({@code "effect"} in its value: messages dropped, processes killed, a clock moved by N ms) or why it
 * did nothing ({@code "no-effect"}). Operations with no effect are listed; {@code heal}, which only undoes
 * faults, is never counted as one that happened. A test whose nemesis was
 * configured yet had no effect at all is {@code unknown}: it proves nothing about faults (Maelstrom's
 * "perhaps --nemesis partition wasn't working").
 */
public final class FaultEvidenceCheck implements Check {
    public static final String EFFECT = "effect";
    public static final String NO_EFFECT = "no-effect";
    /** The final phase's undo-everything operation ({@code FaultOps.HEAL}). */
    static final String HEAL = "heal";

    private final boolean nemesisConfigured;

    public FaultEvidenceCheck(boolean nemesisConfigured) {
        this.nemesisConfigured = nemesisConfigured;
    }

    @Override
    public String name() {
        return "faults";
    }

    @Override
    public CheckOutcome check(List<HistoryOp> history) {
        Map<String, long[]> byF = new TreeMap<>(); // effective, without effect
        List<Object> noEffect = new ArrayList<>();
        long effective = 0;
        for (Checks.Pair p : Checks.nemesisPairs(history)) {
            long[] c = byF.computeIfAbsent(p.invoke().f(), f -> new long[2]);
            Object v = p.completion() == null ? null : p.completion().value();
            String why = null;
            if (p.completion() == null) {
                why = "never completed";
            } else if (!(v instanceof Map<?, ?> m) || m.get(NO_EFFECT) != null || m.get(EFFECT) == null) {
                why = v instanceof Map<?, ?> m && m.get(NO_EFFECT) != null
                        ? String.valueOf(m.get(NO_EFFECT))
                        : "no evidence recorded";
            }
            if (why == null) {
                c[0]++;
                if (!p.invoke().f().equals(HEAL)) {
                    effective++; // undoing faults is not evidence that any happened
                }
            } else {
                c[1]++;
                if (noEffect.size() < 50) {
                    Map<String, Object> e = new LinkedHashMap<>();
                    e.put("index", p.invoke().index());
                    e.put("f", p.invoke().f());
                    e.put("time-millis", p.invoke().timeNanos() / 1_000_000);
                    e.put("why", why);
                    noEffect.add(e);
                }
            }
        }
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("nemesis-configured", nemesisConfigured);
        d.put("operations", byF.values().stream().mapToLong(c -> c[0] + c[1]).sum());
        d.put("effective", effective);
        Map<String, Object> per = new LinkedHashMap<>();
        byF.forEach((f, c) -> per.put(f, Checks.ordered("effective", c[0], "no-effect", c[1])));
        d.put("by-f", per);
        d.put("without-effect", noEffect);
        Validity v = Validity.TRUE;
        if (nemesisConfigured && effective == 0) {
            v = Validity.UNKNOWN;
            d.put("why", "a nemesis was configured but no fault had any effect: the run says nothing about faults");
        }
        return new CheckOutcome(name(), v, d);
    }
}
