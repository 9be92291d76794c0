package dev.linden.sim;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.nemesis.FaultKind;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Canaries: deliberately broken variants of the node must be caught by a sweep of seeds. If one of
 * these passes, the simulator (or a check) has gone blind.
 */
class BrokenVariantsTest {

    private static List<SimResult> sweep(SimConfig base, int seeds) {
        List<SimResult> out = new ArrayList<>();
        for (long seed = 1; seed <= seeds; seed++) {
            out.add(Simulation.run(base.withSeed(seed)));
        }
        return out;
    }

    @Test
    void acknowledgingBeforeFsyncIsCaught() {
        List<SimResult> results = sweep(SimConfig.defaults(0).withFsyncLies(true).withDurationMillis(15_000), 12);
        long violations = results.stream().filter(r -> r.exitCode() == 1).count();
        assertTrue(violations >= 2, "fsync-lies caught in only " + violations + " of 12 seeds: " + results);
    }

    @Test
    void readsWithoutReadIndexAreCaught() {
        SimConfig base = SimConfig.defaults(0).withUnsafeLocalReads(true).withDurationMillis(15_000)
                .withFaults(EnumSet.of(FaultKind.PARTITION, FaultKind.PAUSE, FaultKind.CRASH)).withClients(8).withKeys(2);
        List<SimResult> results = sweep(base, 30);
        long violations = results.stream().filter(r -> r.exitCode() == 1).count();
        assertTrue(violations >= 1, "stale local reads were never caught in 30 seeds");
        assertTrue(results.stream().filter(r -> r.exitCode() == 1)
                        .allMatch(r -> r.verdict().equals("not-linearizable") || r.verdict().equals("safety-violation")),
                results.toString());
    }

    @Test
    void theCorrectNodePassesTheSameSweeps() {
        SimConfig base = SimConfig.defaults(0).withDurationMillis(15_000)
                .withFaults(EnumSet.of(FaultKind.PARTITION, FaultKind.PAUSE, FaultKind.CRASH)).withClients(8).withKeys(2);
        for (SimResult r : sweep(base, 10)) {
            assertTrue(r.passed(), r.toString());
        }
    }

    /** Disk replacement with crashes and partitions, often: the sweep the empty-rejoin canary must fail. */
    private static SimConfig diskLossStorm() {
        return SimConfig.defaults(0).withDurationMillis(15_000).withFaultIntensity(3)
                .withFaults(EnumSet.of(FaultKind.DISK_LOSS, FaultKind.CRASH, FaultKind.PARTITION));
    }

    @Test
    void aNodeForcedBackOnAnEmptyDiskIsCaughtLosingWrites() {
        List<SimResult> results = sweep(diskLossStorm().withForceEmptyRejoin(true), 150);
        List<SimResult> caught = results.stream().filter(r -> r.exitCode() == 1).toList();
        assertTrue(!caught.isEmpty(), "a wiped node voting with no memory was never caught in 150 seeds");
        assertTrue(caught.stream().allMatch(r -> r.verdict().equals("safety-violation")
                || r.verdict().equals("not-linearizable")), caught.toString());
    }

    @Test
    void aNodeWhoseDiskWasReplacedRefusesToRejoinAndNothingIsLost() {
        List<SimResult> results = sweep(diskLossStorm(), 150);
        for (SimResult r : results) {
            assertTrue(r.passed(), r.toString());
        }
    }
}
