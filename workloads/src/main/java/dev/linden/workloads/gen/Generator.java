package dev.linden.workloads.gen;

/**
 * A generator of operations, as Jepsen's are: a pure value. Asked for its next operation in a
 * {@link Context} (the time, which processes are free), it answers with an operation and the generator
 * that follows it, with "pending" (nothing now, ask again when something changes), or with "exhausted".
 * It never sleeps, spawns or reads a clock: the runner owns time, so the same generator and seed give
 * the same operations in a simulation and against real processes.
 *
 * <p>Randomness comes only from {@link Context#random()}, which the runner seeds.
 */
@FunctionalInterface
public interface Generator {
    Step next(Context ctx);

    /** What a generator says when asked. */
    sealed interface Step permits Emit, Pending, Exhausted {}

    /**
     * An operation to invoke no earlier than {@code op.timeNanos()}, on {@code op.process()} (which the
     * context listed as free), and the generator that continues after it.
     */
    record Emit(Op op, Generator rest) implements Step {}

    /**
     * Nothing to invoke now; ask again once an operation completes, or at {@code wakeNanos} (Long.MAX_VALUE:
     * only on a completion).
     */
    record Pending(Generator rest, long wakeNanos) implements Step {}

    /** No more operations, ever. */
    record Exhausted() implements Step {}

    Exhausted EXHAUSTED = new Exhausted();
}
