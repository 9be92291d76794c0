package dev.linden.workloads.check;

import dev.linden.checker.history.OpType;
import dev.linden.workloads.HistoryOp;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Composition of checks, and the pairing of invocations with completions that checks share. */
public final class Checks {
    private Checks() {}

    /** Runs every check; valid is the worst of theirs; details hold each check's outcome by name. */
    public static Check compose(List<Check> checks) {
        List<Check> all = List.copyOf(checks);
        return new Check() {
            @Override
            public String name() {
                return "compose";
            }

            @Override
            public CheckOutcome check(List<HistoryOp> history) {
                Validity v = Validity.TRUE;
                Map<String, Object> details = new LinkedHashMap<>();
                for (Check c : all) {
                    CheckOutcome o = c.check(history);
                    v = v.and(o.valid());
                    details.put(o.name(), o.asMap());
                }
                return new CheckOutcome(name(), v, details);
            }
        };
    }

    /**
     * A map of the given keys and values in that order: results and histories must print the same way
     * every run (Map.of's order changes from JVM to JVM).
     */
    public static Map<String, Object> ordered(Object... keyValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i + 1 < keyValues.length; i += 2) {
            m.put((String) keyValues[i], keyValues[i + 1]);
        }
        return m;
    }

    /** One operation: its invocation and its completion (null if it never completed). */
    public record Pair(HistoryOp invoke, HistoryOp completion) {
        public OpType outcome() {
            return completion == null ? OpType.INFO : completion.type();
        }

        public boolean ok() {
            return completion != null && completion.type() == OpType.OK;
        }

        /** When it completed, or Long.MAX_VALUE if it never did. */
        public long completedNanos() {
            return completion == null ? Long.MAX_VALUE : completion.timeNanos();
        }
    }

    /** Pairs each client invocation with the next completion of its process, in invocation order. */
    public static List<Pair> clientPairs(List<HistoryOp> history) {
        return pairs(history, false);
    }

    /** The same for the nemesis's operations. */
    public static List<Pair> nemesisPairs(List<HistoryOp> history) {
        return pairs(history, true);
    }

    private static List<Pair> pairs(List<HistoryOp> history, boolean nemesis) {
        List<Pair> out = new ArrayList<>();
        Map<Integer, Integer> open = new HashMap<>(); // process -> index in out
        for (HistoryOp op : history) {
            if (op.nemesis() != nemesis) {
                continue;
            }
            if (op.type() == OpType.INVOKE) {
                Integer prev = open.put(op.process(), out.size());
                if (prev != null && !nemesis) {
                    throw new IllegalArgumentException("process " + op.process() + " invoked at index " + op.index()
                            + " while its operation at index "
                            + out.get(prev).invoke().index() + " was in flight");
                }
                out.add(new Pair(op, null));
            } else {
                Integer at = open.remove(op.process());
                if (at == null) {
                    throw new IllegalArgumentException(
                            "completion at index " + op.index() + " of process " + op.process() + " has no invocation");
                }
                out.set(at, new Pair(out.get(at).invoke(), op));
            }
        }
        return out;
    }
}
