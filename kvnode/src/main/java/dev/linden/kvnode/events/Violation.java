package dev.linden.kvnode.events;

import java.util.LinkedHashMap;
import java.util.Map;

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

    /**
     * As a report draws it on a run's timeline: {@code ms} since the run's start (the events' clock read
     * {@code runStartMillis} then), node, index and what.
     */
    public Map<String, Object> asData(long runStartMillis) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ms", atMillis - runStartMillis);
        m.put("node", node);
        m.put("index", index);
        m.put("what", describe());
        return m;
    }

    /** One line without the time, for a world that stamps its own. */
    public String describeUntimed() {
        return property + ": " + detail + " (node " + node + (index > 0 ? ", index " + index : "") + ")";
    }
}
