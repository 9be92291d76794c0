package dev.linden.checker;

import com.fasterxml.jackson.annotation.JsonValue;

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

    @JsonValue
    @Override
    public String toString() {
        return text;
    }
}
