package dev.linden.harness;

/**
 * The harness's own failure in a run (not the system's): a phase that threw or overran its wall-clock
 * limit, a client or nemesis that broke its contract. Once one is recorded the phases stop, and what was
 * recorded is still checked and stored; the run's exit code says the harness failed.
 */
final class HarnessFailure {
    private String message;

    boolean occurred() {
        return message != null;
    }

    /** The failure's description, or null if there was none. */
    String message() {
        return message;
    }

    /** Records {@code what}, replacing an earlier failure. */
    void set(String what) {
        message = what;
    }

    /** Records {@code what} unless an earlier failure was recorded (that one names the cause). */
    void setIfFirst(String what) {
        if (message == null) {
            message = what;
        }
    }

    /** Adds {@code what} after any earlier failure, on a line of its own. */
    void append(String what) {
        message = (message == null ? "" : message + "\n") + what;
    }
}
