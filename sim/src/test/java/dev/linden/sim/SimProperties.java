package dev.linden.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.linden.nemesis.FaultKind;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.DoubleRange;

/** Properties over seeds, fault mixes and fault rates: every run is safe, live and linearizable. */
class SimProperties {

    @Provide
    Arbitrary<Set<FaultKind>> faultMixes() {
        return Arbitraries.of(FaultKind.class).set().ofMinSize(0).ofMaxSize(FaultKind.values().length);
    }

    @Property(tries = 25)
    void anySeedAnyFaultMixPasses(@ForAll long seed, @ForAll("faultMixes") Set<FaultKind> faults,
                                  @ForAll @DoubleRange(min = 0.2, max = 3.0) double intensity) {
        SimResult r = Simulation.run(SimConfig.defaults(seed).withDurationMillis(6_000).withFaults(faults)
                .withFaultIntensity(intensity));
        assertEquals(0, r.exitCode(), () -> "replay with seed " + seed + ", faults " + faults + ", intensity "
                + intensity + ": " + r.verdict() + " " + r.detail());
    }

    @Property(tries = 10)
    void appendWorkloadOnFiveNodes(@ForAll long seed) {
        SimResult r = Simulation.run(SimConfig.defaults(seed).withNodes(5).withWorkload("append")
                .withDurationMillis(6_000));
        assertEquals(0, r.exitCode(), () -> "seed " + seed + ": " + r.verdict() + " " + r.detail());
    }
}
