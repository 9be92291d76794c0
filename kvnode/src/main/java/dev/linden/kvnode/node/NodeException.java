package dev.linden.kvnode.node;

/**
 * Why a request did not complete with a result. {@link #definite()} tells whether the command certainly
 * did not (and never will) take effect; otherwise its outcome is unknown and a history records it as
 * {@code info}.
 */
public class NodeException extends RuntimeException {
    public enum Reason {
        /** This node is not the leader; {@link #leaderHint()} may name who is. Not executed. */
        NOT_LEADER(true),
        /** Too many requests pending; not executed. */
        OVERLOADED(true),
        /** Another entry won the log index this command had; it will never apply there. */
        LOST(true),
        /** The node stopped, or the storage failed, before the outcome was known. */
        UNKNOWN(false);

        final boolean definite;

        Reason(boolean definite) {
            this.definite = definite;
        }
    }

    private final Reason reason;
    private final int leaderHint;

    public NodeException(Reason reason, int leaderHint, String message) {
        super(message, null, false, false);
        this.reason = reason;
        this.leaderHint = leaderHint;
    }

    public Reason reason() {
        return reason;
    }

    public int leaderHint() {
        return leaderHint;
    }

    public boolean definite() {
        return reason.definite;
    }
}
