package dev.linden.kvnode.node;

/**
 * A membership change that ended without being committed, for good: asking the same leader again gives
 * the same answer, so a caller reports it rather than retrying. Unlike {@link NodeException} NOT_LEADER
 * (ask whoever leads now), it carries the reason an operator can act on.
 */
public final class MembershipChangeEndedException extends RuntimeException {
    public enum Why {
        /**
         * Refused as asked: the last voter, an id once removed, a learner that never answered (unreachable,
         * or of another cluster). Nothing of it is applied, then or later.
         */
        REFUSED,
        /**
         * Not committed within {@link MembershipWaiters#TIMEOUT_MILLIS}; an add's learner is taken out again,
         * so the change is not made later.
         */
        TIMED_OUT
    }

    private final Why why;

    public MembershipChangeEndedException(Why why, String message) {
        super(message, null, false, false);
        this.why = why;
    }

    public Why why() {
        return why;
    }
}
