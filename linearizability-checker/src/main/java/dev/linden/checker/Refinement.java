package dev.linden.checker;

import dev.linden.checker.history.Operation;
import dev.linden.checker.model.Model;
import java.util.ArrayList;
import java.util.List;

/**
 * Explains a verdict of not linearizable found with pruning: pruning kills a doomed search early, far from
 * the operation at fault, so the counterexample is looked for again on the shortest failing prefix of the
 * history ({@link #refine}).
 */
final class Refinement {
    /** Wall-clock bound on re-searching a failing prefix to explain it (the verdict is already known). */
    private static final long REFINE_BUDGET_NANOS = 2_000_000_000L;

    /**
     * Step bound on that re-search, relative to the steps that decided the verdict (the search and the
     * probes): relaxed, a cut with many concurrent ops can take far longer to exhaust than to decide.
     */
    private static final long REFINE_STEPS_PER_STEP = 20;

    private static final long REFINE_MIN_STEPS = 50_000;

    private Refinement() {}

    /** A counterexample found on the shortest failing prefix; ids are the partition's. */
    record Refined(int[] prefixIds, Object state, int culpritId, long steps) {}

    /**
     * Pruning kills a doomed search early, far from the operation at fault. To explain it, find the
     * shortest prefix of the history (cut at an operation's completion; ops still open there become
     * indeterminate) that is already not linearizable: non-linearizability is monotone in the cut, so
     * binary search works. The op completing at the cut is the culprit. Re-search that prefix with every
     * pruning constraint except the culprit's, so the longest linearizable prefix reaches up to it.
     * Returns null if a budget runs out (the unrefined counterexample is used then).
     */
    static Refined refine(
            Model model,
            List<Operation> ops,
            Model.CutPruners pruners,
            long searchSteps,
            long deadline,
            long memoryBytes) {
        long[] cuts = ops.stream()
                .filter(o -> !o.indeterminate())
                .mapToLong(Operation::returnTime)
                .sorted()
                .distinct()
                .toArray();
        long probeSteps = 0;
        int lo = 0;
        Search shortest = null; // the probe at cuts[hi], once hi has moved
        int hi = cuts.length - 1; // cut at the last completion = the whole history, known not linearizable
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            Truncated t = truncate(model, ops, cuts[mid]);
            Search probe = new Search(model, t.ops, pruners.forCut(t.ops, t.originalId), deadline, memoryBytes);
            Search.Outcome o = probe.run();
            probeSteps += probe.steps;
            if (o == Search.Outcome.NOT_LINEARIZABLE) {
                hi = mid;
                shortest = probe;
            } else if (o == Search.Outcome.LINEARIZABLE) {
                lo = mid + 1;
            } else {
                return null;
            }
        }
        Truncated t = truncate(model, ops, cuts[lo]);
        Operation culprit = null;
        for (Operation o : t.ops) {
            if (!o.indeterminate() && o.returnTime() == cuts[lo]) {
                culprit = o;
            }
        }
        final Operation blamed = culprit;
        List<Operation> others = t.ops.stream().filter(o -> o != blamed).toList();
        // Bounded: without the culprit's own constraint this search can be as hard as the unpruned one.
        long refineDeadline = Math.min(deadline, System.nanoTime() + REFINE_BUDGET_NANOS);
        Search s = new Search(model, t.ops, model.pruner(others), refineDeadline, memoryBytes);
        s.limitSteps(Math.max(REFINE_MIN_STEPS, REFINE_STEPS_PER_STEP * (searchSteps + probeSteps)));
        Search.Outcome relaxed = s.run();
        long refineSteps = probeSteps + s.steps; // every search this explanation ran
        boolean partial = false;
        if (relaxed != Search.Outcome.NOT_LINEARIZABLE) {
            if (relaxed == Search.Outcome.LINEARIZABLE || culprit == null) {
                return null;
            }
            // Relaxed, the cut was too hard to exhaust within the budget. The deepest prefix it reached is still
            // linearizable, and the culprit is right; the pruned search of the same cut may have gone deeper.
            partial = true;
            if (shortest != null && shortest.bestPrefix.length > s.bestPrefix.length) {
                s = shortest;
            }
        }
        int[] prefix = new int[s.bestPrefix.length];
        for (int i = 0; i < prefix.length; i++) {
            prefix[i] = t.originalId[s.bestPrefix[i]];
        }
        int blocking = s.blockingOp >= 0 && !partial ? s.blockingOp : (culprit == null ? -1 : culprit.id());
        return new Refined(prefix, s.bestState, blocking < 0 ? -1 : t.originalId[blocking], refineSteps);
    }

    record Truncated(List<Operation> ops, int[] originalId) {}

    /** The history as it stood at {@code cut}: later invocations dropped, ops still open indeterminate. */
    static Truncated truncate(Model model, List<Operation> ops, long cut) {
        List<Operation> out = new ArrayList<>();
        List<Integer> ids = new ArrayList<>();
        for (Operation o : ops) {
            if (o.invokeTime() > cut) {
                continue;
            }
            if (o.returnTime() > cut && !o.indeterminate()) {
                if (model.readOnly(o)) {
                    continue; // an unanswered read constrains nothing
                }
                o = new Operation(
                        o.id(),
                        o.process(),
                        o.f(),
                        o.key(),
                        o.input(),
                        null,
                        o.invokeTime(),
                        Long.MAX_VALUE,
                        true,
                        o.invokeIndex(),
                        -1);
            }
            ids.add(o.id());
            out.add(o.withId(out.size()));
        }
        return new Truncated(out, ids.stream().mapToInt(Integer::intValue).toArray());
    }
}
