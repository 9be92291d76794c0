package dev.linden.workloads;

import dev.linden.checker.history.Event;
import dev.linden.checker.history.History;
import dev.linden.checker.history.OpType;
import java.util.ArrayList;
import java.util.List;

/**
 * Records a history as clients run: {@link #invoke} when an operation starts, then exactly one of
 * {@link #ok}, {@link #fail} (definitely did not happen) or {@link #info} (outcome unknown).
 * Bounded: past {@code maxEvents} further invocations are refused.
 */
public final class HistoryRecorder {
    private final List<Event> events = new ArrayList<>();
    private final int maxEvents;

    /** A started operation. */
    public record Handle(long process, Invocation invocation) {}

    public HistoryRecorder(int maxEvents) {
        this.maxEvents = maxEvents;
    }

    public synchronized boolean full() {
        return events.size() + 2 > maxEvents;
    }

    public synchronized Handle invoke(long process, Invocation inv, long timeNanos) {
        if (full()) {
            throw new IllegalStateException("history is full (" + maxEvents + " events)");
        }
        events.add(new Event(events.size(), process, OpType.INVOKE, inv.f(), inv.key(), inv.value(), timeNanos));
        return new Handle(process, inv);
    }

    public synchronized void ok(Handle h, Object result, long timeNanos) {
        complete(h, OpType.OK, result, timeNanos);
    }

    public synchronized void fail(Handle h, long timeNanos) {
        complete(h, OpType.FAIL, h.invocation().value(), timeNanos);
    }

    public synchronized void info(Handle h, long timeNanos) {
        complete(h, OpType.INFO, h.invocation().value(), timeNanos);
    }

    private void complete(Handle h, OpType type, Object value, long timeNanos) {
        Invocation inv = h.invocation();
        events.add(new Event(events.size(), h.process(), type, inv.f(), inv.key(), value, timeNanos));
    }

    public synchronized int size() {
        return events.size();
    }

    public synchronized History history(String name) {
        return new History(name, events);
    }

    public synchronized long count(OpType type) {
        return events.stream().filter(e -> e.type() == type).count();
    }
}
