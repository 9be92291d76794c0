package dev.linden.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.linden.harness.TestResult;
import dev.linden.nemesis.FaultKind;
import dev.linden.nemesis.FaultSchedule;
import dev.linden.workloads.Workload;
import dev.linden.workloads.check.Validity;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.DoubleRange;
import org.junit.jupiter.api.Test;

/**
 * The harness from a property test, as the README shows it: a test declared with the builder, over
 * seeds, fault mixes, fault rates and workloads. Every run must be valid; a failing one is stored (only
 * failing runs are) and the assertion message names its store directory and the replay command.
 */
class SimulatedClusterProperties {
    private static final Path STORE = Path.of("target", "store");

    /**
     * Any mix that holds at least one fault that always acts on a live cluster: a mix of only, say, bit
     * flips may find nothing synced to corrupt in six seconds, and such a run is rightly unknown.
     */
    @Provide
    Arbitrary<Set<FaultKind>> faultMixes() {
        Arbitrary<Set<FaultKind>> sure = Arbitraries.of(
                        FaultKind.PARTITION, FaultKind.KILL, FaultKind.PAUSE, FaultKind.CLOCK)
                .set()
                .ofMinSize(1);
        // Not the hostile faults: the simulator answers them no-effect, and held 8-15 s they could keep every
        // sure fault from starting in a short run, which would then rightly be unknown.
        Arbitrary<Set<FaultKind>> any = Arbitraries.of(FaultKind.class)
                .filter(k -> !k.family().equals("hostile"))
                .set();
        return net.jqwik.api.Combinators.combine(sure, any).as((a, b) -> {
            Set<FaultKind> u = EnumSet.copyOf(a);
            u.addAll(b);
            return u;
        });
    }

    @Provide
    Arbitrary<String> workloads() {
        return Arbitraries.of(Workload.NAMES);
    }

    @Property(tries = 25)
    void everyRunIsValid(
            @ForAll long seed,
            @ForAll("faultMixes") Set<FaultKind> faults,
            @ForAll @DoubleRange(min = 0.2, max = 3.0) double intensity,
            @ForAll("workloads") String workload) {
        TestResult r = Simulation.test()
                .nodes(3)
                .workload(workload)
                .faults(faults)
                .schedule(FaultSchedule.Options.defaults(faults, 3).withIntensity(intensity))
                .timeLimitSeconds(6)
                .seed(seed)
                .build()
                .runStoringFailures(STORE);
        // Valid; or, for a short sparse run whose few faults all found nothing to act on (a bit flip before
        // anything was synced), unknown for exactly that reason, never for another.
        if (r.exitCode() == 2) {
            List<?> why = (List<?>) r.results().get("why");
            assertEquals(1, why.size(), r::summary);
            org.junit.jupiter.api.Assertions.assertTrue(
                    String.valueOf(why.get(0)).startsWith("faults unknown"), r::summary);
            return;
        }
        if (r.exitCode() == 1 && onlyTooFewToSucceed(r)) {
            return;
        }
        assertEquals(0, r.exitCode(), r::summary);
    }

    /** The run that found the allowance below, kept: four CAS tries, none succeeded, nothing else wrong. */
    @Test
    void aShortStormyRunWithFourCasTriesIsJudgedByItsFewTries() {
        Set<FaultKind> faults = FaultKind.parseList("partition,loss,duplicate,corrupt,kill,pause,stale-leader,bitflip");
        TestResult r = Simulation.test()
                .nodes(3)
                .workload("kv")
                .faults(faults)
                .schedule(FaultSchedule.Options.defaults(faults, 3).withIntensity(2.4))
                .timeLimitSeconds(6)
                .seed(245)
                .build()
                .run();
        org.junit.jupiter.api.Assertions.assertTrue(
                r.exitCode() == 0 || (r.exitCode() == 1 && onlyTooFewToSucceed(r)), r::summary);
    }

    /**
     * Invalid only by Jepsen's stats check, for operations tried too few times to expect one to succeed: a 6 s run
     * under heavy faults may try 4 CASes and have each refused or cut off (seed 245, kv, intensity 2.4, eight
     * fault kinds, on every build since the property was written). Not a safety verdict; with 10 tries or more,
     * never-ok still fails the property.
     */
    private static boolean onlyTooFewToSucceed(TestResult r) {
        Map<?, ?> checks = (Map<?, ?>) r.results().get("checks");
        for (Map.Entry<?, ?> e : checks.entrySet()) {
            Map<?, ?> c = (Map<?, ?>) e.getValue();
            if (!e.getKey().equals("stats") && Validity.parse(c.get("valid")) == Validity.FALSE) {
                return false;
            }
        }
        Map<?, ?> stats = (Map<?, ?>) checks.get("stats");
        Map<?, ?> byF = (Map<?, ?>) stats.get("by-f");
        for (Object f : (List<?>) stats.get("never-ok")) {
            if (((Number) ((Map<?, ?>) byF.get(f)).get("count")).longValue() >= 10) {
                return false;
            }
        }
        return true;
    }

    @Property(tries = 8)
    void fiveNodesListAppendWithRecoveryWindows(@ForAll long seed) {
        TestResult r = Simulation.test()
                .nodes(5)
                .workload("list-append")
                .schedule(FaultSchedule.Options.defaults(Set.of(), 5).withRecoveryMillis(1_000))
                .timeLimitSeconds(8)
                .seed(seed)
                .build()
                .runStoringFailures(STORE);
        assertEquals(0, r.exitCode(), r::summary);
    }
}
