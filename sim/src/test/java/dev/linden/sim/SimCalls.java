package dev.linden.sim;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.linden.harness.Scheduler;
import dev.linden.kvnode.client.ClientCore;
import dev.linden.kvnode.kv.KvCommand;
import dev.linden.kvnode.kv.KvResult;
import dev.linden.workloads.Workload;

/** A simulated cluster driven one request at a time through the real client core, for scenario tests. */
final class SimCalls {
    static final long MS = 1_000_000L;

    final Simulation sim;
    final Scheduler clock;
    private final SimClient client;

    SimCalls(long seed, int nodes) {
        sim = new Simulation(seed, nodes, SimOptions.defaults());
        clock = sim.scheduler();
        sim.start();
        client = (SimClient) sim.client(0, Workload.named("kv", 1));
    }

    /** Sends {@code c} and runs the simulation until it is answered (within 12 simulated seconds). */
    KvResult call(KvCommand c) {
        KvResult[] out = new KvResult[1];
        String[] failed = new String[1];
        client.process.submit(c, 10_000 * MS, new ClientCore.Outcome() {
            @Override
            public void completed(KvCommand sent, KvResult result) {
                out[0] = result;
            }

            @Override
            public void failed(String why) {
                failed[0] = why;
            }

            @Override
            public void indeterminate(String why) {
                failed[0] = why;
            }
        });
        clock.runUntil(clock.nowNanos() + 12_000 * MS, () -> out[0] != null || failed[0] != null);
        assertNotNull(out[0], "no answer to " + c + ": " + failed[0]);
        return out[0];
    }

    void sleep(long millis) {
        clock.runUntil(clock.nowNanos() + millis * MS, () -> false);
    }
}
