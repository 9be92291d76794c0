package dev.linden.checker;

import dev.linden.checker.history.History;
import dev.linden.checker.history.MalformedHistoryException;
import dev.linden.checker.history.Operation;
import dev.linden.checker.model.AllKeysModel;
import dev.linden.checker.model.Model;
import dev.linden.checker.model.Models;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The linearizability checker's entry point. Splits a history into independent partitions by key
 * (P-compositionality), searches each (in parallel), and explains every failure.
 */
public final class Checker {
    /**
     * @param timeLimit       wall-clock budget for the whole check; keys undecided by then are UNKNOWN
     * @param maxMemoryBytes  budget for the memo caches of all keys together
     * @param parallelism     keys searched at once
     * @param partition       split by key (off only to cross-check the partitioning itself)
     */
    public record Options(Duration timeLimit, long maxMemoryBytes, int parallelism, boolean partition) {
        public Options {
            if (timeLimit.isNegative() || maxMemoryBytes < 1 || parallelism < 1) {
                throw new IllegalArgumentException("bad checker options");
            }
        }

        public static Options defaults() {
            return new Options(
                    Duration.ofMinutes(10),
                    Runtime.getRuntime().maxMemory() / 2,
                    Runtime.getRuntime().availableProcessors(),
                    true);
        }

        public Options withTimeLimit(Duration d) {
            return new Options(d, maxMemoryBytes, parallelism, partition);
        }

        public Options withMaxMemoryBytes(long b) {
            return new Options(timeLimit, b, parallelism, partition);
        }

        public Options withParallelism(int p) {
            return new Options(timeLimit, maxMemoryBytes, p, partition);
        }

        public Options withPartition(boolean p) {
            return new Options(timeLimit, maxMemoryBytes, parallelism, p);
        }
    }

    /** Wall-clock bound on re-searching a failing prefix to explain it (the verdict is already known). */
    private static final long REFINE_BUDGET_NANOS = 2_000_000_000L;

    /**
     * Step bound on that re-search, relative to the steps that decided the verdict (the search and the
     * probes): relaxed, a cut with many concurrent ops can take far longer to exhaust than to decide.
     */
    private static final long REFINE_STEPS_PER_STEP = 20;

    private static final long REFINE_MIN_STEPS = 50_000;

    private Checker() {}

    /** Below this many operations a history is checked on the caller's thread alone. */
    static final int SEQUENTIAL_BELOW_OPS = 200;

    /**
     * One pool of daemon threads for every check in the process (created on first need, threads kept a
     * minute once idle), instead of a pool started and stopped per check. Each check bounds its own use
     * of it to its parallelism.
     */
    private static final class SharedPool {
        static final ExecutorService POOL =
                new ThreadPoolExecutor(0, Integer.MAX_VALUE, 60, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
                    Thread t = new Thread(r, "checker");
                    t.setDaemon(true);
                    return t;
                });
    }

    /** Checks a history; {@code model} null means infer it from the operations. */
    public static CheckResult check(History history, Model model, Options options) throws MalformedHistoryException {
        List<Operation> ops = history.operations();
        Model m = model;
        if (m == null) {
            try {
                m = Models.infer(ops);
            } catch (IllegalArgumentException e) {
                throw new MalformedHistoryException(history.source(), 0, e.getMessage());
            }
        }
        for (Operation op : ops) {
            try {
                m.validate(op);
            } catch (IllegalArgumentException e) {
                throw new MalformedHistoryException(history.source(), op.invokeIndex() + 1, e.getMessage());
            }
        }
        return check(history.source(), ops, m, options);
    }

    /** Checks already-paired operations against a model. */
    public static CheckResult check(String source, List<Operation> allOps, Model requested, Options options) {
        Model model = options.partition() ? requested : new AllKeysModel(requested);
        long start = System.nanoTime();
        long deadline = start + Math.min(options.timeLimit().toNanos(), Long.MAX_VALUE / 4);
        Map<String, List<Operation>> parts = new TreeMap<>();
        for (Operation op : allOps) {
            if (op.indeterminate() && model.readOnly(op)) {
                continue; // an unanswered read constrains nothing
            }
            String key = options.partition() ? model.partitionKey(op) : null;
            parts.computeIfAbsent(key == null ? "" : key, k -> new ArrayList<>())
                    .add(op);
        }
        List<Map.Entry<String, List<Operation>>> order = new ArrayList<>(parts.entrySet());
        order.sort(Comparator.comparingInt(
                (Map.Entry<String, List<Operation>> e) -> -e.getValue().size()));
        // Small histories are checked on the caller's thread: handing keys to other threads costs more
        // (about 100 us a check, measured) than searching them.
        int threads =
                allOps.size() < SEQUENTIAL_BELOW_OPS ? 1 : Math.max(1, Math.min(options.parallelism(), order.size()));
        long memoryPerKey = Math.max(1, options.maxMemoryBytes() / threads);
        List<KeyResult> results = new ArrayList<>();
        if (threads == 1) {
            for (Map.Entry<String, List<Operation>> e : order) {
                results.add(checkKey(e.getKey(), e.getValue(), model, deadline, memoryPerKey));
            }
        } else {
            // `threads` workers take keys, largest first, until none are left: the caller and threads - 1 on the
            // shared pool (the caller would only wait otherwise, and a hand-off costs a wake-up).
            AtomicInteger nextKey = new AtomicInteger();
            KeyResult[] byIndex = new KeyResult[order.size()];
            Runnable worker = () -> {
                for (int i = nextKey.getAndIncrement(); i < byIndex.length; i = nextKey.getAndIncrement()) {
                    Map.Entry<String, List<Operation>> e = order.get(i);
                    byIndex[i] = checkKey(e.getKey(), e.getValue(), model, deadline, memoryPerKey);
                }
            };
            List<Future<?>> workers = new ArrayList<>();
            for (int w = 1; w < threads; w++) {
                workers.add(SharedPool.POOL.submit(worker));
            }
            try {
                worker.run();
                for (Future<?> f : workers) {
                    f.get();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                workers.forEach(f -> f.cancel(true));
                throw new IllegalStateException("checker interrupted", e);
            } catch (ExecutionException e) {
                throw new IllegalStateException("checker failed: " + e.getCause(), e.getCause());
            } catch (RuntimeException e) {
                workers.forEach(f -> f.cancel(true));
                throw e;
            }
            results.addAll(Arrays.asList(byIndex));
        }
        results.sort(Comparator.comparing(KeyResult::key));
        Verdict verdict = Verdict.LINEARIZABLE;
        for (KeyResult k : results) {
            if (k.verdict() == Verdict.NOT_LINEARIZABLE) {
                verdict = Verdict.NOT_LINEARIZABLE;
            } else if (k.verdict() == Verdict.UNKNOWN && verdict == Verdict.LINEARIZABLE) {
                verdict = Verdict.UNKNOWN;
            }
        }
        long nanos = System.nanoTime() - start;
        return new CheckResult(source, model.name(), verdict, nanos / 1_000_000, nanos / 1_000, allOps.size(), results);
    }

    /** A counterexample found on the shortest failing prefix; ids are the partition's. */
    private record Refined(int[] prefixIds, Object state, int culpritId, long steps) {}

    /**
     * Pruning kills a doomed search early, far from the operation at fault. To explain it, find the
     * shortest prefix of the history (cut at an operation's completion; ops still open there become
     * indeterminate) that is already not linearizable: non-linearizability is monotone in the cut, so
     * binary search works. The op completing at the cut is the culprit. Re-search that prefix with every
     * pruning constraint except the culprit's, so the longest linearizable prefix reaches up to it.
     * Returns null if a budget runs out (the unrefined counterexample is used then).
     */
    private static Refined refine(
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

    private static KeyResult checkKey(
            String key, List<Operation> original, Model model, long deadline, long memoryBytes) {
        long start = System.nanoTime();
        List<Operation> ops = new ArrayList<>(original.size());
        for (Operation op : original) {
            ops.add(op.withId(ops.size()));
        }
        ops = model.canonicalize(ops);
        // The partition is analysed for pruning once; the search and every cut refine() tries use it.
        Model.CutPruners pruners = model.cutPruners(ops);
        int[] identity = new int[ops.size()];
        for (int i = 0; i < identity.length; i++) {
            identity[i] = i;
        }
        Search s = new Search(model, ops, pruners.forCut(ops, identity), deadline, memoryBytes);
        Search.Outcome outcome = s.run();
        if (outcome == Search.Outcome.NOT_LINEARIZABLE && s.pruner != null) {
            Refined refined = refine(model, ops, pruners, s.steps, deadline, memoryBytes);
            if (refined != null) {
                List<Operation> prefix = new ArrayList<>();
                for (int id : refined.prefixIds) {
                    prefix.add(original.get(id));
                }
                Operation culprit = refined.culpritId < 0 ? null : original.get(refined.culpritId);
                return new KeyResult(
                        key,
                        Verdict.NOT_LINEARIZABLE,
                        ops.size(),
                        (System.nanoTime() - start) / 1_000_000,
                        s.steps + refined.steps,
                        s.cacheEntries,
                        null,
                        prefix,
                        Explainer.explain(key, model, original, prefix, refined.state, culprit));
            }
        }
        List<Operation> prefix = new ArrayList<>(s.bestPrefix.length);
        for (int id : s.bestPrefix) {
            prefix.add(original.get(id));
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        return switch (outcome) {
            case LINEARIZABLE ->
                new KeyResult(key, Verdict.LINEARIZABLE, ops.size(), ms, s.steps, s.cacheEntries, null, prefix, null);
            case NOT_LINEARIZABLE ->
                new KeyResult(
                        key,
                        Verdict.NOT_LINEARIZABLE,
                        ops.size(),
                        ms,
                        s.steps,
                        s.cacheEntries,
                        null,
                        prefix,
                        Explainer.explain(
                                key,
                                model,
                                original,
                                prefix,
                                s.bestState,
                                s.blockingOp < 0 ? null : original.get(s.blockingOp)));
            case UNKNOWN_TIME ->
                new KeyResult(
                        key,
                        Verdict.UNKNOWN,
                        ops.size(),
                        ms,
                        s.steps,
                        s.cacheEntries,
                        "time limit reached",
                        prefix,
                        null);
            case UNKNOWN_MEMORY ->
                new KeyResult(
                        key,
                        Verdict.UNKNOWN,
                        ops.size(),
                        ms,
                        s.steps,
                        s.cacheEntries,
                        "memory limit reached (" + s.cacheEntries + " cached states)",
                        prefix,
                        null);
        };
    }
}
