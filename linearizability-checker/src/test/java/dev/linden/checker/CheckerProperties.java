package dev.linden.checker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.linden.checker.history.History;
import dev.linden.checker.history.Operation;
import dev.linden.checker.model.Model;
import dev.linden.checker.model.Models;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;

class CheckerProperties {
    private static final Checker.Options OPTIONS =
            Checker.Options.defaults().withTimeLimit(Duration.ofSeconds(30)).withParallelism(1);

    private static String modelFor(RandomHistories.Kind kind) {
        return kind == RandomHistories.Kind.CAS_REGISTER ? "kv" : "append";
    }

    @Property(tries = 200)
    void sequentialExecutionsWithOverlapAreLinearizable(
            @ForAll long seed,
            @ForAll RandomHistories.Kind kind,
            @ForAll @IntRange(min = 1, max = 80) int ops,
            @ForAll @IntRange(min = 1, max = 6) int processes,
            @ForAll @IntRange(min = 1, max = 3) int keys,
            @ForAll @DoubleRange(min = 0, max = 0.7) double infoRate)
            throws Exception {
        History h = RandomHistories.generate(seed, kind, ops, processes, keys, infoRate);
        CheckResult r = Checker.check(h, Models.byName(modelFor(kind)), OPTIONS);
        assertEquals(Verdict.LINEARIZABLE, r.verdict(), () -> h.events().toString());
    }

    @Property(tries = 200)
    void aReadOfANeverWrittenValueIsNeverLinearizable(
            @ForAll long seed,
            @ForAll RandomHistories.Kind kind,
            @ForAll @IntRange(min = 1, max = 80) int ops,
            @ForAll @IntRange(min = 1, max = 6) int processes,
            @ForAll @IntRange(min = 1, max = 3) int keys)
            throws Exception {
        History h =
                RandomHistories.corruptOneRead(RandomHistories.generate(seed, kind, ops, processes, keys, 0.1), seed);
        Assume.that(h != null);
        CheckResult r = Checker.check(h, Models.byName(modelFor(kind)), OPTIONS);
        assertEquals(Verdict.NOT_LINEARIZABLE, r.verdict());
    }

    /** The register model's rewrites (unobserved values, symmetry of identical info ops) never change a verdict. */
    @Property(tries = 300)
    void registerReductionsAgreeWithAPlainModel(
            @ForAll long seed,
            @ForAll @IntRange(min = 1, max = 40) int ops,
            @ForAll @IntRange(min = 1, max = 5) int processes,
            @ForAll @DoubleRange(min = 0, max = 0.8) double infoRate,
            @ForAll boolean corrupt)
            throws Exception {
        History h = RandomHistories.generate(seed, RandomHistories.Kind.CAS_REGISTER, ops, processes, 1, infoRate);
        if (corrupt) {
            History c = RandomHistories.corruptOneRead(h, seed);
            h = c == null ? h : c;
        }
        Model plain = new Model() {
            final Model inner = Models.byName("kv");

            public String name() {
                return "plain";
            }

            public Object init() {
                return inner.init();
            }

            public Object step(Object state, Operation op) {
                return inner.step(state, op);
            }

            public void validate(Operation op) {
                inner.validate(op);
            }

            public boolean readOnly(Operation op) {
                return inner.readOnly(op);
            }
        };
        assertEquals(
                Checker.check(h, plain, OPTIONS).verdict(),
                Checker.check(h, Models.byName("kv"), OPTIONS).verdict());
    }

    @Property(tries = 150)
    void verdictIsTheSameWithAndWithoutPartitioning(
            @ForAll long seed,
            @ForAll RandomHistories.Kind kind,
            @ForAll @IntRange(min = 1, max = 30) int ops,
            @ForAll @IntRange(min = 1, max = 4) int processes,
            @ForAll @IntRange(min = 1, max = 3) int keys,
            @ForAll boolean corrupt)
            throws Exception {
        History h = RandomHistories.generate(seed, kind, ops, processes, keys, 0.1);
        if (corrupt) {
            History c = RandomHistories.corruptOneRead(h, seed);
            h = c == null ? h : c;
        }
        CheckResult split = Checker.check(h, Models.byName(modelFor(kind)), OPTIONS);
        CheckResult whole = Checker.check(h, Models.byName(modelFor(kind)), OPTIONS.withPartition(false));
        assertEquals(split.verdict(), whole.verdict());
    }

    /**
     * Explaining a failure searches many cuts of one partition with pruners derived from one analysis of the
     * whole partition: on every cut they must give the verdict of the cut's own pruner and of no pruner.
     */
    @Property(tries = 200)
    void cutPrunersDecideEveryCutAsItsOwnPrunerDoes(
            @ForAll long seed,
            @ForAll @IntRange(min = 1, max = 40) int ops,
            @ForAll @IntRange(min = 1, max = 5) int processes,
            @ForAll @DoubleRange(min = 0, max = 0.5) double infoRate,
            @ForAll boolean corrupt)
            throws Exception {
        History h = RandomHistories.generate(seed, RandomHistories.Kind.APPEND, ops, processes, 1, infoRate);
        if (corrupt) {
            History c = RandomHistories.corruptOneRead(h, seed);
            h = c == null ? h : c;
        }
        Model model = Models.byName("append");
        List<Operation> all = new ArrayList<>();
        for (Operation op : h.operations()) {
            if (!(op.indeterminate() && model.readOnly(op))) {
                all.add(op.withId(all.size()));
            }
        }
        Model.CutPruners pruners = model.cutPruners(all);
        long[] cuts = all.stream()
                .filter(o -> !o.indeterminate())
                .mapToLong(Operation::returnTime)
                .distinct()
                .sorted()
                .toArray();
        for (long cut : cuts) {
            Refinement.Truncated t = Refinement.truncate(model, all, cut);
            Search.Outcome derived =
                    new Search(model, t.ops(), pruners.forCut(t.ops(), t.originalId()), Long.MAX_VALUE, 1L << 30).run();
            Search.Outcome own = new Search(model, t.ops(), model.pruner(t.ops()), Long.MAX_VALUE, 1L << 30).run();
            assertEquals(own, derived, "cut at " + cut);
            // Unpruned, a cut with many open ops can be exponential: compare only when it decides in time.
            Search unpruned = new Search(model, t.ops(), null, Long.MAX_VALUE, 1L << 26);
            unpruned.limitSteps(200_000);
            Search.Outcome none = unpruned.run();
            if (none == Search.Outcome.LINEARIZABLE || none == Search.Outcome.NOT_LINEARIZABLE) {
                assertEquals(none, derived, "cut at " + cut);
            }
        }
    }
}
