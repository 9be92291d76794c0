package dev.linden.kvnode.events;

/**
 * A safety property an {@link EventMonitor} found broken: which, by which node, at which log index (0 when
 * none applies), when (the event's time, ms) and what it saw.
 */
public record Violation(String property, int node, long index, long atMillis, String detail) {
    /** One line: the property, what was seen, and where and when. */
    public String describe() {
        return property + ": " + detail + " (node " + node + (index > 0 ? ", index " + index : "") + ", at " + atMillis
                + " ms)";
    }

    /** One line without the time, for a world that stamps its own. */
    public String describeUntimed() {
        return property + ": " + detail + " (node " + node + (index > 0 ? ", index " + index : "") + ")";
    }
}
