package dev.linden.sim;

import dev.linden.nemesis.FaultKind;
import java.util.EnumSet;
import java.util.Set;

/**
 * One simulated run.
 *
 * @param seed               everything random derives from it
 * @param nodes              cluster size (3 or 5)
 * @param clients            concurrent client processes
 * @param durationMillis     length of the fault phase in simulated milliseconds
 * @param livenessMillis     bound on recovery after every fault is healed
 * @param faults             fault kinds injected
 * @param workload           register or append
 * @param keys               keys the workload spreads over
 * @param unsafeLocalReads   broken variant: leaders answer reads without ReadIndex
 * @param fsyncLies          broken variant: fsync reports durability it does not provide
 * @param checkTimeLimitMillis  budget of the linearizability check
 * @param faultIntensity     scales fault frequency and background loss/duplication (1.0 = defaults)
 * @param forceEmptyRejoin   broken variant: a node whose disk was replaced is started as a new member (as an
 *                           operator forcing it back would), so it votes with no memory of its log
 */
public record SimConfig(long seed, int nodes, int clients, long durationMillis, long livenessMillis, Set<FaultKind> faults,
                        String workload, int keys, boolean unsafeLocalReads, boolean fsyncLies,
                        long checkTimeLimitMillis, double faultIntensity, boolean forceEmptyRejoin) {
    public SimConfig {
        if (nodes < 1 || nodes > 9 || clients < 1 || durationMillis < 100 || livenessMillis < 1000 || keys < 1
                || !(faultIntensity > 0) || faultIntensity > 10) {
            throw new IllegalArgumentException("bad simulation config");
        }
        faults = Set.copyOf(faults);
    }

    public static SimConfig defaults(long seed) {
        return new SimConfig(seed, 3, 5, 30_000, 30_000, EnumSet.allOf(FaultKind.class), "register", 5, false, false,
                60_000, 1.0, false);
    }

    public SimConfig withNodes(int n) {
        return new SimConfig(seed, n, clients, durationMillis, livenessMillis, faults, workload, keys, unsafeLocalReads,
                fsyncLies, checkTimeLimitMillis, faultIntensity, forceEmptyRejoin);
    }

    public SimConfig withClients(int c) {
        return new SimConfig(seed, nodes, c, durationMillis, livenessMillis, faults, workload, keys, unsafeLocalReads,
                fsyncLies, checkTimeLimitMillis, faultIntensity, forceEmptyRejoin);
    }

    public SimConfig withDurationMillis(long d) {
        return new SimConfig(seed, nodes, clients, d, livenessMillis, faults, workload, keys, unsafeLocalReads, fsyncLies,
                checkTimeLimitMillis, faultIntensity, forceEmptyRejoin);
    }

    public SimConfig withFaults(Set<FaultKind> f) {
        return new SimConfig(seed, nodes, clients, durationMillis, livenessMillis, f, workload, keys, unsafeLocalReads,
                fsyncLies, checkTimeLimitMillis, faultIntensity, forceEmptyRejoin);
    }

    public SimConfig withWorkload(String w) {
        return new SimConfig(seed, nodes, clients, durationMillis, livenessMillis, faults, w, keys, unsafeLocalReads,
                fsyncLies, checkTimeLimitMillis, faultIntensity, forceEmptyRejoin);
    }

    public SimConfig withKeys(int k) {
        return new SimConfig(seed, nodes, clients, durationMillis, livenessMillis, faults, workload, k, unsafeLocalReads,
                fsyncLies, checkTimeLimitMillis, faultIntensity, forceEmptyRejoin);
    }

    public SimConfig withFaultIntensity(double i) {
        return new SimConfig(seed, nodes, clients, durationMillis, livenessMillis, faults, workload, keys,
                unsafeLocalReads, fsyncLies, checkTimeLimitMillis, i, forceEmptyRejoin);
    }

    public SimConfig withSeed(long s) {
        return new SimConfig(s, nodes, clients, durationMillis, livenessMillis, faults, workload, keys, unsafeLocalReads,
                fsyncLies, checkTimeLimitMillis, faultIntensity, forceEmptyRejoin);
    }

    public SimConfig withUnsafeLocalReads(boolean on) {
        return new SimConfig(seed, nodes, clients, durationMillis, livenessMillis, faults, workload, keys, on, fsyncLies,
                checkTimeLimitMillis, faultIntensity, forceEmptyRejoin);
    }

    public SimConfig withFsyncLies(boolean on) {
        return new SimConfig(seed, nodes, clients, durationMillis, livenessMillis, faults, workload, keys,
                unsafeLocalReads, on, checkTimeLimitMillis, faultIntensity, forceEmptyRejoin);
    }

    public SimConfig withForceEmptyRejoin(boolean on) {
        return new SimConfig(seed, nodes, clients, durationMillis, livenessMillis, faults, workload, keys,
                unsafeLocalReads, fsyncLies, checkTimeLimitMillis, faultIntensity, on);
    }
}
