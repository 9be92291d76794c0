package dev.linden.kvnode.client;

/** The outcome of a request is unknown: it may or may not have taken effect (a history records info). */
public final class IndeterminateException extends RuntimeException {
    public IndeterminateException(String message) {
        super(message, null, false, false);
    }
}
