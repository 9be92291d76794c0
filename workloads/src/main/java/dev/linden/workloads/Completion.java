package dev.linden.workloads;

import dev.linden.checker.history.OpType;

/**
 * How one invoked operation ended, in Jepsen's three outcomes: {@code ok} (it happened, with this value),
 * {@code fail} (it certainly did not happen) or {@code info} (it may or may not have happened).
 *
 * @param value  the value to record (a read's result, a fault's evidence); the invocation's value if null
 * @param error  why it failed or is unknown (null for ok), as Jepsen's {@code :error}
 */
public record Completion(OpType type, Object value, String error) {
    public Completion {
        if (type == OpType.INVOKE) {
            throw new IllegalArgumentException("a completion is ok, fail or info");
        }
    }

    public static Completion ok(Object value) {
        return new Completion(OpType.OK, value, null);
    }

    public static Completion fail(String error) {
        return new Completion(OpType.FAIL, null, error);
    }

    public static Completion info(String error) {
        return new Completion(OpType.INFO, null, error);
    }
}
