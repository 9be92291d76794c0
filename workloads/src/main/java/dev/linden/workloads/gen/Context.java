package dev.linden.workloads.gen;

import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntPredicate;

/**
 * What a generator may know when asked for an operation: the current time, the processes free to take
 * one (client processes are numbered from 0, the nemesis is {@link #NEMESIS}), and the run's seeded random
 * source. Immutable but for the random source, which the runner owns.
 *
 * @param freeProcesses free processes, in ascending order
 * @param busyProcesses processes with an operation in flight
 */
public record Context(
        long timeNanos, List<Integer> freeProcesses, List<Integer> busyProcesses, SplittableRandom random) {
    public static final int NEMESIS = -1;

    public Context {
        freeProcesses = List.copyOf(freeProcesses);
        busyProcesses = List.copyOf(busyProcesses);
    }

    /** The same context seen by a generator that may only use {@code allowed} processes. */
    Context restrictedTo(IntPredicate allowed) {
        return new Context(
                timeNanos,
                freeProcesses.stream().filter(allowed::test).toList(),
                busyProcesses.stream().filter(allowed::test).toList(),
                random);
    }

    Context at(long t) {
        return new Context(t, freeProcesses, busyProcesses, random);
    }

    /** The lowest free client process, or -1 (never a client: clients are numbered from 0). */
    int someFreeClient() {
        for (int p : freeProcesses) {
            if (p != NEMESIS) {
                return p;
            }
        }
        return -1;
    }
}
