package dev.linden.checker;

public enum Verdict {
    LINEARIZABLE("linearizable"),
    NOT_LINEARIZABLE("not-linearizable"),
    /** A budget ran out before a decision; never a guess. */
    UNKNOWN("unknown");

    private final String text;

    Verdict(String text) {
        this.text = text;
    }

    public String text() {
        return text;
    }

    @com.fasterxml.jackson.annotation.JsonValue
    @Override
    public String toString() {
        return text;
    }
}
