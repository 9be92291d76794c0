package dev.linden.checker.history;

import java.util.Locale;

/**
 * The kind of a history event. {@code FAIL}: the operation definitely did not take effect.
 * {@code INFO}: indeterminate; it may take effect at any point after its invocation, or never.
 */
public enum OpType {
    INVOKE,
    OK,
    FAIL,
    INFO;

    public static OpType parse(String s) {
        return switch (s) {
            case "invoke" -> INVOKE;
            case "ok" -> OK;
            case "fail" -> FAIL;
            case "info" -> INFO;
            default ->
                throw new IllegalArgumentException("unknown op type '" + s + "' (expected invoke, ok, fail or info)");
        };
    }

    public String text() {
        return name().toLowerCase(Locale.ROOT);
    }
}
