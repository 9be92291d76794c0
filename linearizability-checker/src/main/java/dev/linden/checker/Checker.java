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

    private static KeyResult checkKey(
            String key, List<Operation> original, Model model, long deadline, long memoryBytes) {
        long start = System.nanoTime();
        List<Operation> ops = model.canonicalize(renumbered(original));
        // The partition is analysed for pruning once; the search and every cut refine() tries use it.
        Model.CutPruners pruners = model.cutPruners(ops);
        Search s = new Search(model, ops, pruners.forCut(ops, identity(ops.size())), deadline, memoryBytes);
        Search.Outcome outcome = s.run();
        if (outcome == Search.Outcome.NOT_LINEARIZABLE && s.pruner != null) {
            Refinement.Refined refined = Refinement.refine(model, ops, pruners, s.steps, deadline, memoryBytes);
            if (refined != null) {
                return refinedResult(key, original, model, ops.size(), start, s, refined);
            }
        }
        return searchResult(key, original, model, ops.size(), start, s, outcome);
    }

    /** The partition's ops with ids 0..n-1, in order. */
    private static List<Operation> renumbered(List<Operation> original) {
        List<Operation> ops = new ArrayList<>(original.size());
        for (Operation op : original) {
            ops.add(op.withId(ops.size()));
        }
        return ops;
    }

    private static int[] identity(int n) {
        int[] identity = new int[n];
        for (int i = 0; i < identity.length; i++) {
            identity[i] = i;
        }
        return identity;
    }

    /** Not linearizable, with the counterexample {@link Refinement#refine} found ({@code s}: the search). */
    private static KeyResult refinedResult(
            String key,
            List<Operation> original,
            Model model,
            int opCount,
            long start,
            Search s,
            Refinement.Refined refined) {
        List<Operation> prefix = new ArrayList<>();
        for (int id : refined.prefixIds()) {
            prefix.add(original.get(id));
        }
        Operation culprit = refined.culpritId() < 0 ? null : original.get(refined.culpritId());
        return new KeyResult(
                key,
                Verdict.NOT_LINEARIZABLE,
                opCount,
                (System.nanoTime() - start) / 1_000_000,
                s.steps + refined.steps(),
                s.cacheEntries,
                null,
                prefix,
                Explainer.explain(key, model, original, prefix, refined.state(), culprit));
    }

    /** The verdict of search {@code s}, which ended in {@code outcome}. */
    private static KeyResult searchResult(
            String key,
            List<Operation> original,
            Model model,
            int opCount,
            long start,
            Search s,
            Search.Outcome outcome) {
        List<Operation> prefix = new ArrayList<>(s.bestPrefix.length);
        for (int id : s.bestPrefix) {
            prefix.add(original.get(id));
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        return switch (outcome) {
            case LINEARIZABLE ->
                new KeyResult(key, Verdict.LINEARIZABLE, opCount, ms, s.steps, s.cacheEntries, null, prefix, null);
            case NOT_LINEARIZABLE ->
                new KeyResult(
                        key,
                        Verdict.NOT_LINEARIZABLE,
                        opCount,
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
                        key, Verdict.UNKNOWN, opCount, ms, s.steps, s.cacheEntries, "time limit reached", prefix, null);
            case UNKNOWN_MEMORY ->
                new KeyResult(
                        key,
                        Verdict.UNKNOWN,
                        opCount,
                        ms,
                        s.steps,
                        s.cacheEntries,
                        "memory limit reached (" + s.cacheEntries + " cached states)",
                        prefix,
                        null);
        };
    }
}
