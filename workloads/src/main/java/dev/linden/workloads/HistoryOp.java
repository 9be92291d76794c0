package dev.linden.workloads;

import dev.linden.checker.history.Event;
import dev.linden.checker.history.OpType;

/**
 * One line of a test's history, as Jepsen's {@code history.edn} holds it: client operations and nemesis
 * (fault) operations, invocations and completions, in the order the runner saw them.
 *
 * @param index       position in the history, from 0
 * @param timeNanos   since the test started (simulated time in the simulator)
 * @param process     client process (from 0), or {@link #NEMESIS}
 * @param key         the key a keyed workload's operation is on (Jepsen's independent key), or null
 * @param error       Jepsen's {@code :error}: why an operation failed or is unknown, or null
 * @param finalPhase  issued by the final phase (after healing), whose reads the checks rely on
 */
public record HistoryOp(
        int index,
        long timeNanos,
        OpType type,
        int process,
        String f,
        String key,
        Object value,
        String error,
        boolean finalPhase) {
    public static final int NEMESIS = -1;

    public boolean nemesis() {
        return process == NEMESIS;
    }

    public boolean client() {
        return process != NEMESIS;
    }

    /** The checker's view of a client operation. */
    public Event toEvent() {
        if (nemesis()) {
            throw new IllegalStateException("nemesis operations are not checked for linearizability");
        }
        return new Event(index, process, type, f, key, value, timeNanos);
    }
}
