package dev.linden.nemesis;

import dev.linden.workloads.Completion;
import dev.linden.workloads.gen.Op;
import java.util.function.Consumer;

/**
 * Injects faults, as Jepsen's nemesis: each fault is an operation ({@link FaultOps}) that the runner
 * records in the history with what it observably did. One vocabulary for both worlds: the simulator binds
 * it to its network, clocks, disks and processes; real clusters bind it to signals, iptables and files.
 *
 * <p>Contract: {@code done} is called exactly once per operation, on the runner's scheduler, with an
 * {@code info} completion (faults, like Jepsen's, are neither ok nor failed operations) whose value is a
 * map holding {@code "effect"} (what changed: nodes hit, messages dropped, milliseconds moved) or
 * {@code "no-effect"} (why nothing changed). An operation the binding does not know completes with
 * {@code no-effect}, never silently. {@link #heal(Consumer)} undoes every fault still active, so the final phase
 * runs on a whole cluster.
 */
public interface Nemesis {
    void setup();

    void invoke(Op op, Consumer<Completion> done);

    /** Every fault undone: partitions healed, processes resumed and started, clocks and disks restored. */
    void heal(Consumer<Completion> done);

    void teardown();
}
