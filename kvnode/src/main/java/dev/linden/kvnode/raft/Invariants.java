package dev.linden.kvnode.raft;

/**
 * Always-on invariant checks (TigerBeetle style). Unlike {@code assert}, these run in production and in
 * the simulator; a violation names the node, term and index so the failure can be replayed.
 */
public final class Invariants {
    private Invariants() {}

    public static void check(boolean condition, String what, int nodeId, long term, long index) {
        if (!condition) {
            throw new InvariantViolation(
                    "invariant violated on node " + nodeId + " at term " + term + ", index " + index + ": " + what);
        }
    }

    /** For state outside the core (storage, state machine): {@code what} names the place and the values. */
    public static void check(boolean condition, String what) {
        if (!condition) {
            throw new InvariantViolation("invariant violated: " + what);
        }
    }

    public static void require(boolean condition, String what) {
        if (!condition) {
            throw new IllegalArgumentException(what);
        }
    }
}
