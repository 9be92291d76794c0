package dev.linden.workloads.gen;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Runs a generator on a simulated clock, as {@code jepsen.generator.test} does: {@code clients} client
 * processes and the nemesis, every operation taking {@code latencyNanos}. Returns the operations in the
 * order they were invoked, with their processes and times. Pure and deterministic for a seed: what
 * generator unit tests (and anyone designing a schedule) look at.
 */
public final class GeneratorSim {
    private GeneratorSim() {}

    /** Bound on operations, so a generator that never ends still returns. */
    public static List<Op> run(Generator gen, int clients, long latencyNanos, long seed, int maxOps) {
        SplittableRandom random = new SplittableRandom(seed);
        TreeMap<Integer, Long> busyUntil = new TreeMap<>();
        List<Op> invoked = new ArrayList<>();
        long now = 0;
        Generator g = gen;
        for (int steps = 0; steps < 100 * maxOps + 10_000 && invoked.size() < maxOps; steps++) {
            List<Integer> free = new ArrayList<>();
            if (!busyUntil.containsKey(Context.NEMESIS)) {
                free.add(Context.NEMESIS);
            }
            for (int p = 0; p < clients; p++) {
                if (!busyUntil.containsKey(p)) {
                    free.add(p);
                }
            }
            Generator.Step s = g.next(new Context(now, free, List.copyOf(busyUntil.keySet()), random));
            long nextCompletion =
                    busyUntil.values().stream().mapToLong(Long::longValue).min().orElse(Long.MAX_VALUE);
            if (s instanceof Generator.Emit e) {
                if (e.op().timeNanos() > now && nextCompletion <= e.op().timeNanos()) {
                    now = complete(busyUntil, nextCompletion); // something completes first: ask again then
                    continue;
                }
                now = Math.max(now, e.op().timeNanos());
                invoked.add(e.op().withTime(now));
                busyUntil.put(e.op().process(), now + latencyNanos);
                g = e.rest();
            } else if (s instanceof Generator.Pending p) {
                long wake = Math.min(p.wakeNanos(), nextCompletion);
                if (wake == Long.MAX_VALUE) {
                    break; // waiting for nothing that will happen
                }
                g = p.rest();
                now = wake == nextCompletion ? complete(busyUntil, wake) : Math.max(now, wake);
            } else {
                break;
            }
        }
        return invoked;
    }

    private static long complete(TreeMap<Integer, Long> busyUntil, long at) {
        busyUntil.values().removeIf(t -> t <= at);
        return at;
    }
}
