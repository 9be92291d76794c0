package dev.linden.checker.history;

import java.util.ArrayList;
import java.util.List;

/** What the history formats share: an op's type, read with the file's line, and the events' times. */
final class Events {
    private Events() {}

    static OpType opType(String name, int line, String s) throws MalformedHistoryException {
        if (s == null) {
            throw new MalformedHistoryException(name, line, "op needs \"type\"");
        }
        try {
            return OpType.parse(s.startsWith(":") ? s.substring(1) : s);
        } catch (IllegalArgumentException e) {
            throw new MalformedHistoryException(name, line, e.getMessage());
        }
    }

    /**
     * Times as recorded when every op has one and they never go back; otherwise (histories of an era
     * without {@code :time}, or mixed units) the order of the history itself, which Jepsen writes in real
     * time order.
     */
    static List<Event> withTimes(List<Event> events) {
        long last = Long.MIN_VALUE;
        boolean usable = true;
        for (Event e : events) {
            if (e.timeNanos() < 0 || e.timeNanos() < last) {
                usable = false;
                break;
            }
            last = e.timeNanos();
        }
        if (usable) {
            return events;
        }
        List<Event> out = new ArrayList<>(events.size());
        for (Event e : events) {
            out.add(new Event(e.index(), e.process(), e.type(), e.f(), e.key(), e.value(), e.index() + 1));
        }
        return out;
    }
}
