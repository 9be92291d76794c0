package dev.linden.workloads.check;

import dev.linden.checker.CheckResult;
import dev.linden.checker.Checker;
import dev.linden.checker.KeyResult;
import dev.linden.checker.Verdict;
import dev.linden.checker.history.Event;
import dev.linden.checker.history.History;
import dev.linden.checker.history.MalformedHistoryException;
import dev.linden.checker.history.Operation;
import dev.linden.checker.model.Models;
import dev.linden.workloads.HistoryOp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

/**
 * Linearizability of the client operations, per key, with Linden's checker (WGL search with
 * memoization). Details: the model, operations checked, per-key verdicts, and for each key that is not
 * linearizable the counterexample: the operation that cannot be placed, the operations concurrent with
 * it, and a sentence that says why. Unknown when a budget ran out.
 */
public final class LinearizableCheck implements Check {
    /** Per-key verdicts listed in results (all keys are checked). */
    static final int MAX_KEYS_LISTED = 1000;

    static final int MAX_COUNTEREXAMPLES = 10;

    private final String model;
    private final Options options;
    private final UnaryOperator<HistoryOp> translate;

    public LinearizableCheck(String model, Options options) {
        this(model, options, UnaryOperator.identity());
    }

    /** @param translate maps each client operation to the model's vocabulary before checking */
    public LinearizableCheck(String model, Options options, UnaryOperator<HistoryOp> translate) {
        Models.byName(model); // fails early on an unknown model
        this.model = model;
        this.options = options;
        this.translate = translate;
    }

    @Override
    public String name() {
        return "linearizable";
    }

    @Override
    public CheckOutcome check(List<HistoryOp> history) {
        List<Event> events = new ArrayList<>();
        for (HistoryOp op : history) {
            if (op.client()) {
                events.add(translate.apply(op).toEvent());
            }
        }
        CheckResult r;
        try {
            r = Checker.check(
                    new History("history", events),
                    Models.byName(model),
                    Checker.Options.defaults()
                            .withTimeLimit(Duration.ofMillis(options.timeLimitMillis()))
                            .withMaxMemoryBytes(options.maxMemoryBytes())
                            .withParallelism(options.parallelism()));
        } catch (MalformedHistoryException e) {
            throw new IllegalStateException("the history cannot be checked: " + e.getMessage(), e);
        }
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("model", model);
        d.put("verdict", r.verdict().text());
        d.put("operations", r.operations());
        d.put("keys", r.keys().size());
        d.put("check-millis", r.elapsedMillis());
        Map<String, Object> perKey = new TreeMap<>();
        List<Object> failures = new ArrayList<>();
        for (KeyResult k : r.keys()) {
            String key = k.key() == null ? "" : k.key();
            if (perKey.size() < MAX_KEYS_LISTED) {
                perKey.put(key, k.verdict().text());
            }
            if (k.verdict() != Verdict.LINEARIZABLE && failures.size() < MAX_COUNTEREXAMPLES) {
                failures.add(explain(k));
            }
        }
        d.put("per-key", perKey);
        if (!failures.isEmpty()) {
            d.put("failures", failures);
        }
        Validity v = r.verdict() == Verdict.LINEARIZABLE
                ? Validity.TRUE
                : r.verdict() == Verdict.NOT_LINEARIZABLE ? Validity.FALSE : Validity.UNKNOWN;
        return new CheckOutcome(name(), v, d);
    }

    private static Map<String, Object> explain(KeyResult k) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("key", k.key() == null ? "" : k.key());
        m.put("verdict", k.verdict().text());
        m.put("operations", k.operations());
        if (k.verdict() == Verdict.UNKNOWN) {
            m.put("reason", k.unknownReason());
        } else if (k.counterexample() != null) {
            m.put("explanation", k.counterexample().explanation());
            m.put("op", k.counterexample().op().toString());
            m.put("op-index", k.counterexample().op().invokeIndex());
            List<String> concurrent = new ArrayList<>();
            k.counterexample().concurrent().stream().limit(20).forEach(o -> concurrent.add(o.toString()));
            m.put("concurrent", concurrent);
            List<String> prefix = new ArrayList<>();
            List<Operation> p = k.counterexample().prefix();
            p.subList(Math.max(0, p.size() - 10), p.size()).forEach(o -> prefix.add(o.toString()));
            m.put("last-linearized", prefix);
            m.put("state-after", k.counterexample().stateAfter());
            // The same operations as data, for reports to draw: the failing one, those concurrent with it,
            // and the end of the longest linearizable prefix, each with its real-time interval.
            Map<String, Object> drawn = new LinkedHashMap<>();
            drawn.put("op", asData(k.counterexample().op()));
            List<Object> conc = new ArrayList<>();
            k.counterexample().concurrent().stream().limit(50).forEach(o -> conc.add(asData(o)));
            drawn.put("concurrent", conc);
            List<Object> pre = new ArrayList<>();
            p.subList(Math.max(0, p.size() - 20), p.size()).forEach(o -> pre.add(asData(o)));
            drawn.put("prefix", pre);
            m.put("ops", drawn);
        }
        return m;
    }

    private static Map<String, Object> asData(Operation o) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("process", o.process());
        m.put("f", o.f());
        m.put("input", o.input());
        m.put("output", o.indeterminate() ? null : o.output());
        m.put("indeterminate", o.indeterminate());
        m.put("invoke-index", o.invokeIndex());
        m.put("invoke-nanos", o.invokeTime());
        m.put("return-nanos", o.indeterminate() ? -1L : o.returnTime());
        m.put("text", o.toString());
        return m;
    }
}
