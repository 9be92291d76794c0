package dev.linden.kvnode.raft;

/** Thrown when a Raft safety invariant is violated. Never caught inside the core: it must fail loudly. */
public final class InvariantViolation extends IllegalStateException {
    public InvariantViolation(String message) {
        super(message);
    }
}
