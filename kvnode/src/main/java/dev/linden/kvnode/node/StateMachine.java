package dev.linden.kvnode.node;

/**
 * The replicated application. Called only from the node's apply stage, one call at a time, in log
 * order; must be deterministic: the same commands in the same order give the same results everywhere.
 */
public interface StateMachine {
    /** Applies the committed command at {@code index} and returns its encoded result. */
    byte[] apply(long index, byte[] command);

    /** Answers a read-only query against the current state (used by ReadIndex reads). */
    byte[] query(byte[] query);

    /** The whole state (including anything that makes retries exactly-once) as of the last applied index. */
    byte[] snapshot();

    /**
     * Replaces the whole state with a snapshot taken (on some replica) after applying {@code index}.
     * Throws IllegalArgumentException if the bytes are not a snapshot of this state machine.
     */
    void restore(long index, byte[] snapshot);
}
