package dev.linden.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.checker.history.OpType;
import dev.linden.harness.TestResult;
import dev.linden.nemesis.Fault;
import dev.linden.nemesis.FaultExamples;
import dev.linden.nemesis.HostileFault;
import dev.linden.workloads.HistoryOp;
import dev.linden.workloads.gen.Gen;
import dev.linden.workloads.gen.Generator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The simulator answers every fault: each of {@link FaultExamples} is injected into a small simulated cluster in
 * turn, and each completes once, as an info operation saying what it did or, for what the simulator does not
 * model (the hostile faults), why it did nothing.
 */
class SimNemesisCoverageTest {
    private static final long MS = 1_000_000L;

    @Test
    void everyFaultIsAnsweredWithEffectOrASaidNoEffect() {
        List<Generator> script = new ArrayList<>();
        for (Fault f : FaultExamples.all()) {
            script.add(Gen.once(f.op()));
            script.add(Gen.sleep(400 * MS));
        }
        TestResult r = Simulation.test()
                .nodes(5)
                .timeLimitSeconds(40)
                .seed(3)
                .nemesisGenerator(Gen.phases(script))
                .build()
                .run();
        List<HistoryOp> infos = r.history().stream()
                .filter(HistoryOp::nemesis)
                .filter(o -> o.type() == OpType.INFO && !o.f().equals("heal"))
                .toList();
        List<Fault> faults = FaultExamples.all();
        assertEquals(faults.size(), infos.size(), r.summary());
        int effects = 0;
        for (int i = 0; i < faults.size(); i++) {
            Fault f = faults.get(i);
            HistoryOp done = infos.get(i);
            assertEquals(f.name(), done.f());
            Map<?, ?> v = (Map<?, ?>) done.value();
            Object said = v.get("effect") != null ? v.get("effect") : v.get("no-effect");
            assertTrue(said instanceof String s && !s.isBlank(), f + " answered " + v);
            if (f instanceof HostileFault.RogueOperator) {
                // Modelled: refused wherever it reached a node that could judge it (RogueOperatorSimTest), and
                // never carried out (that would also be a violation of the run).
                assertTrue(!String.valueOf(v).contains("reshaped"), f + ": " + v);
            } else if (f instanceof HostileFault) {
                assertTrue(v.containsKey("no-effect"), "the simulator does not model " + f + ": " + v);
            } else if (v.containsKey("effect")) {
                effects++;
            }
        }
        // Most faults change something in a cluster under load (a stop after a start that did nothing does not).
        assertTrue(effects >= 20, effects + " faults with an effect: " + r.summary());
    }
}
