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
     * The state as of the last applied index, to be encoded off the apply stage while later commands apply (a
     * snapshot of a large state takes tens of milliseconds to encode, and every write would wait that long).
     * Called on the apply stage. This default encodes at once.
     */
    default SnapshotView snapshotView() {
        byte[] state = snapshot();
        return new SnapshotView() {
            @Override
            public byte[] encode(int headerBytes) {
                byte[] out = new byte[headerBytes + state.length];
                System.arraycopy(state, 0, out, headerBytes, state.length);
                return out;
            }

            @Override
            public void release() {}
        };
    }

    /** A state machine's state as of one index, encoded once on any thread, then released on the apply stage. */
    interface SnapshotView {
        /** The bytes {@link #snapshot()} would have given, after {@code headerBytes} left for the caller. */
        byte[] encode(int headerBytes);

        /** On the apply stage, once encoded (or given up): the state machine may reuse what the view held. */
        void release();
    }

    /**
     * Replaces the whole state with a snapshot taken (on some replica) after applying {@code index}.
     * Throws IllegalArgumentException if the bytes are not a snapshot of this state machine.
     */
    void restore(long index, byte[] snapshot);
}
