package dev.linden.workloads;

import dev.linden.workloads.gen.Op;
import java.util.function.Consumer;

/**
 * One client process's connection to the system under test, as Jepsen's client: it performs one
 * operation at a time and says how it ended. Asynchronous, so the same runner drives it on the
 * simulator's single thread and against real processes: {@code done} is called exactly once, on the
 * runner's scheduler (the binding hands it over), never from inside {@link #invoke}.
 *
 * <p>Contract: an operation that may have taken effect must end {@code info}, never {@code fail}; a
 * client never completes an operation after {@link #close()}.
 */
public interface Client extends AutoCloseable {
    void invoke(Op op, Consumer<Completion> done);

    @Override
    void close();
}
