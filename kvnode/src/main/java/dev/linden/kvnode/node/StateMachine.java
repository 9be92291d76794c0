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
}
