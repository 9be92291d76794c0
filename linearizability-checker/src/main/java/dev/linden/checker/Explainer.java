package dev.linden.checker;

import dev.linden.checker.history.Operation;
import dev.linden.checker.history.Values;
import dev.linden.checker.model.AppendModel;
import dev.linden.checker.model.Model;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/** Turns a failed search into a counterexample a person can read. */
final class Explainer {
    private Explainer() {}

    static Counterexample explain(
            String key, Model model, List<Operation> ops, List<Operation> prefix, Object state, Operation blocking) {
        Set<Integer> inPrefix = new HashSet<>();
        for (Operation p : prefix) {
            inPrefix.add(p.id());
        }
        if (blocking == null) {
            blocking = ops.stream()
                    .filter(o -> !o.indeterminate() && !inPrefix.contains(o.id()))
                    .min(Comparator.comparingLong(Operation::returnTime))
                    .orElse(ops.get(0));
        }
        Operation op = blocking;
        List<Operation> concurrent = new ArrayList<>();
        for (Operation o : ops) {
            if (o.id() != op.id() && o.concurrentWith(op)) {
                concurrent.add(o);
            }
        }
        String sentence = sentence(key, model, ops, prefix.size(), state, op, concurrent);
        return new Counterexample(key, op, concurrent, prefix, model.describe(state), sentence);
    }

    private static String where(String key) {
        return key.isEmpty() ? "" : " of key " + key;
    }

    private static String at(long t) {
        return t == Long.MAX_VALUE ? "never" : "t=" + t;
    }

    private static String sentence(
            String key,
            Model model,
            List<Operation> ops,
            int prefixLength,
            Object state,
            Operation op,
            List<Operation> concurrent) {
        String tail = "; after the longest linearizable prefix (" + prefixLength + " operations) the state is "
                + model.describe(state) + " and no order of the " + concurrent.size()
                + " concurrent operations makes this result possible";
        if (model.readOnly(op)) {
            Object v = op.output();
            String read = op.f() + where(key) + " returned " + Values.show(v) + " at " + at(op.returnTime())
                    + " (invoked at " + at(op.invokeTime()) + ")";
            if (model instanceof AppendModel) {
                return read + appendReason(ops, op, (String) (v == null ? "" : v), tail);
            }
            List<Operation> writers = new ArrayList<>();
            for (Operation o : ops) {
                if (!model.readOnly(o) && Objects.equals(writtenValue(o), v)) {
                    writers.add(o);
                }
            }
            if (v != null && writers.isEmpty()) {
                return read + ", but no operation ever wrote " + Values.show(v);
            }
            if (!writers.isEmpty() && writers.stream().allMatch(w -> w.invokeTime() > op.returnTime())) {
                Operation w = writers.stream()
                        .min(Comparator.comparingLong(Operation::invokeTime))
                        .orElseThrow();
                return read + ", but the " + (writers.size() == 1 ? "only write" : "earliest of the writes") + " of "
                        + Values.show(v) + " began at " + at(w.invokeTime()) + ", after the read had completed";
            }
            // Was every write of v overwritten by a later completed write before the read began?
            long lastWriterEnd =
                    writers.stream().mapToLong(Operation::returnTime).max().orElse(Long.MIN_VALUE);
            for (Operation o : ops) {
                if (!model.readOnly(o)
                        && !o.indeterminate()
                        && o.invokeTime() > lastWriterEnd
                        && o.returnTime() < op.invokeTime()
                        && !Objects.equals(writtenValue(o), v)
                        && writtenValue(o) != null
                        && !"cas".equals(o.f())) {
                    return read + ", but " + Values.show(v) + " had already been overwritten by " + o.f() + " "
                            + Values.show(writtenValue(o)) + ", which ran from " + at(o.invokeTime()) + " to "
                            + at(o.returnTime()) + ", after every write of " + Values.show(v)
                            + " completed and before the"
                            + " read began";
                }
            }
            return read + tail;
        }
        String what = op.f() + where(key) + " " + Values.show(op.input())
                + (op.indeterminate() ? "" : " returned " + Values.show(op.output()) + " at " + at(op.returnTime()));
        if ("cas".equals(op.f()) && op.input() instanceof List<?> args) {
            boolean swapped = !Boolean.FALSE.equals(op.output());
            return what
                    + (swapped
                            ? ", but it could only succeed if the register held " + Values.show(args.get(0))
                            : ", but it could only fail if the register held something other than "
                                    + Values.show(args.get(0)))
                    + tail;
        }
        return what + tail;
    }

    private static boolean isPut(Operation o) {
        return "put".equals(o.f()) || "write".equals(o.f());
    }

    private static Object writtenValue(Operation o) {
        if ("cas".equals(o.f()) && o.input() instanceof List<?> args && args.size() == 2) {
            return Boolean.FALSE.equals(o.output()) ? null : args.get(1);
        }
        return o.input();
    }

    private static String appendReason(List<Operation> ops, Operation read, String v, String tail) {
        if (!AppendModel.canSpell(v, ops)) {
            return ", but no put followed by appends of the values in this history spells that string";
        }
        // The string starts with put P's value, but a later put Q completed before the read began.
        for (Operation p : ops) {
            if (!isPut(p)
                    || !(p.input() instanceof String pv)
                    || pv.isEmpty()
                    || !v.startsWith(pv)
                    || p.invokeTime() > read.returnTime()) {
                continue;
            }
            for (Operation q : ops) {
                if (isPut(q)
                        && q != p
                        && !q.indeterminate()
                        && q.invokeTime() > p.returnTime()
                        && q.returnTime() < read.invokeTime()
                        && !v.startsWith(String.valueOf(q.input()))) {
                    return ", so it saw put " + Values.show(pv) + " (done at " + at(p.returnTime()) + "), but put "
                            + Values.show(q.input()) + " ran from " + at(q.invokeTime()) + " to " + at(q.returnTime())
                            + ", after that put and before the read began, and the string does not start with it";
                }
            }
        }
        // An appended value the read shows, where every append of it began after the read completed.
        for (Operation o : ops) {
            if ("append".equals(o.f())
                    && o.input() instanceof String s
                    && !s.isEmpty()
                    && v.contains(s)
                    && o.invokeTime() > read.returnTime()
                    && ops.stream().noneMatch(p -> s.equals(p.input()) && p.invokeTime() <= read.returnTime())) {
                return ", but it contains " + Values.show(s) + ", which was appended only from " + at(o.invokeTime())
                        + ", after the read had completed";
            }
        }
        // An append that completed before the read began, with no put in between, is missing.
        for (Operation o : ops) {
            if ("append".equals(o.f())
                    && !o.indeterminate()
                    && o.input() instanceof String s
                    && !s.isEmpty()
                    && o.returnTime() < read.invokeTime()
                    && !v.contains(s)) {
                boolean putBetween = ops.stream()
                        .anyMatch(p -> ("put".equals(p.f()) || "write".equals(p.f()))
                                && p.returnTime() > o.invokeTime()
                                && p.invokeTime() < read.returnTime());
                if (!putBetween) {
                    return ", but it lacks " + Values.show(s) + ", appended from " + at(o.invokeTime()) + " to "
                            + at(o.returnTime()) + ", before the read began, with no put that could have replaced it";
                }
            }
        }
        return tail;
    }
}
