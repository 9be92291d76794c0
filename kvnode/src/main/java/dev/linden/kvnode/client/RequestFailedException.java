package dev.linden.kvnode.client;

/** The request definitely did not take effect (a history records fail). */
public final class RequestFailedException extends RuntimeException {
    public RequestFailedException(String message) {
        super(message, null, false, false);
    }
}
