package dev.linden.workloads.check;

/**
 * Jepsen's {@code :valid?}: true, false or unknown. Composed checks take the worst: false over unknown
 * over true. Exit codes follow: 0 valid, 1 invalid, 2 unknown.
 */
public enum Validity {
    TRUE,
    UNKNOWN,
    FALSE;

    public Validity and(Validity other) {
        return other.ordinal() > ordinal() ? other : this;
    }

    public int exitCode() {
        return this == TRUE ? 0 : this == FALSE ? 1 : 2;
    }

    /** As results files write it: true, false or "unknown" (Jepsen's :unknown). */
    public Object asValue() {
        return this == TRUE ? Boolean.TRUE : this == FALSE ? Boolean.FALSE : "unknown";
    }

    public String text() {
        return this == TRUE ? "valid" : this == FALSE ? "invalid" : "unknown";
    }

    public static Validity of(boolean valid) {
        return valid ? TRUE : FALSE;
    }

    /** Reads {@link #asValue()} back. */
    public static Validity parse(Object v) {
        if (Boolean.TRUE.equals(v) || "true".equals(v)) {
            return TRUE;
        }
        if (Boolean.FALSE.equals(v) || "false".equals(v)) {
            return FALSE;
        }
        return UNKNOWN;
    }
}
