package dev.linden.checker.history;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A recorded history: events in order, and the operations they pair into. */
public final class History {
    private final String source;
    private final List<Event> events;

    public History(String source, List<Event> events) {
        this.source = source;
        this.events = List.copyOf(events);
    }

    public String source() {
        return source;
    }

    public List<Event> events() {
        return events;
    }

    /**
     * Pairs each invocation with the next completion of the same process. {@code fail} drops the
     * operation; {@code info}, or no completion at all, makes it indeterminate.
     *
     * @throws MalformedHistoryException if a process completes an operation it never invoked, or invokes
     *                                   while it still has one open
     */
    public List<Operation> operations() throws MalformedHistoryException {
        // By position in events: an Event's own hash would hash its value, for every op.
        Map<Long, Integer> open = new HashMap<>();
        int n = events.size();
        int[] completionOf = new int[n];
        Arrays.fill(completionOf, -1);
        for (int i = 0; i < n; i++) {
            Event e = events.get(i);
            if (e.type() == OpType.INVOKE) {
                Integer prior = open.put(e.process(), i);
                if (prior != null) {
                    Event p = events.get(prior);
                    throw new MalformedHistoryException(
                            source,
                            e.index() + 1,
                            "process " + e.process()
                                    + " invoked " + e.f() + " while its " + p.f() + " (event " + (p.index() + 1)
                                    + ") was still open");
                }
            } else {
                Integer inv = open.remove(e.process());
                if (inv == null) {
                    throw new MalformedHistoryException(
                            source,
                            e.index() + 1,
                            "process " + e.process() + " " + e.type().text() + " without an open invocation");
                }
                completionOf[inv] = i;
            }
        }
        List<Operation> ops = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Event inv = events.get(i);
            if (inv.type() != OpType.INVOKE) {
                continue;
            }
            Event done = completionOf[i] < 0 ? null : events.get(completionOf[i]);
            if (done != null && done.type() == OpType.FAIL) {
                continue;
            }
            boolean indeterminate = done == null || done.type() == OpType.INFO;
            Object input = inv.value();
            Object output = indeterminate ? null : done.value();
            String key = inv.key() != null ? inv.key() : (done == null ? null : done.key());
            ops.add(new Operation(
                    ops.size(),
                    inv.process(),
                    inv.f(),
                    key,
                    input,
                    output,
                    inv.timeNanos(),
                    indeterminate ? Long.MAX_VALUE : done.timeNanos(),
                    indeterminate,
                    inv.index(),
                    done == null ? -1 : done.index()));
        }
        return ops;
    }
}
