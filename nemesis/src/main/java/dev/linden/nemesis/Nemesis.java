package dev.linden.nemesis;

import dev.linden.workloads.Completion;
import java.util.function.Consumer;

/**
 * Injects faults, as Jepsen's nemesis: each {@link Fault} is an operation that the runner records in the
 * history (by {@link Fault#name()} and {@link Fault#value()}) with what it observably did. One vocabulary for
 * both worlds: the simulator binds it to its network, clocks, disks and processes; real clusters bind it to
 * signals, iptables and files. Each binding is a {@link Fault.Handler}, so it answers every fault.
 *
 * <p>Contract: {@code done} is called exactly once per operation, on the runner's scheduler, with an
 * {@code info} completion (faults, like Jepsen's, are neither ok nor failed operations) whose value is a
 * map holding {@code "effect"} (what changed: nodes hit, messages dropped, milliseconds moved) or
 * {@code "no-effect"} (why nothing changed). A fault the binding cannot inject completes with
 * {@code no-effect} saying why, never silently. {@link #heal(Consumer)} undoes every fault still active, so the
 * final phase runs on a whole cluster.
 */
public interface Nemesis {
    void setup();

    void invoke(Fault fault, Consumer<Completion> done);

    /** Every fault undone: partitions healed, processes resumed and started, clocks and disks restored. */
    void heal(Consumer<Completion> done);

    void teardown();

    /**
     * How a binding's {@link Fault.Handler} answers a fault: with its evidence at once (the binding delivers the
     * completion), or by a task that is handed {@code done} and calls it itself, later (a fault that strikes at
     * a later event, or runs on a thread of its own).
     */
    sealed interface Answer {
        record Now(Object evidence) implements Answer {}

        record Later(Consumer<Consumer<Completion>> task) implements Answer {}

        static Answer now(Object evidence) {
            return new Now(evidence);
        }

        static Answer later(Consumer<Consumer<Completion>> task) {
            return new Later(task);
        }
    }
}
