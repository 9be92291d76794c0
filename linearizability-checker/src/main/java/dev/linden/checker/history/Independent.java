package dev.linden.checker.history;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Jepsen's {@code jepsen.independent}: many independent registers in one history, each op's value a
 * {@code [key value]} tuple and no {@code :key} field. Such a history is recognised when no op has a key
 * and every client op's value (invocations and completions alike, reads' {@code [k nil]} included) is a
 * pair whose first element is a plain key, and not every op is a CAS (whose own values are pairs):
 * then keys and values are split out, and the checker partitions by key as it does for {@code :key}.
 */
public final class Independent {
    private Independent() {}

    /** The history with tuples split into key and value, or the same events if it is not independent. */
    public static List<Event> unwrap(List<Event> events) {
        if (!isIndependent(events)) {
            return events;
        }
        List<Event> out = new ArrayList<>(events.size());
        for (Event e : events) {
            List<?> t = (List<?>) e.value();
            out.add(new Event(e.index(), e.process(), e.type(), e.f(), keyText(t.get(0)), t.get(1), e.timeNanos()));
        }
        return out;
    }

    static boolean isIndependent(List<Event> events) {
        if (events.isEmpty()) {
            return false;
        }
        boolean allCas = true;
        for (Event e : events) {
            if (e.key() != null || !(e.value() instanceof List<?> t) || t.size() != 2 || !plainKey(t.get(0))) {
                return false;
            }
            allCas &= e.f().equals("cas");
        }
        return !allCas;
    }

    private static boolean plainKey(Object k) {
        return k instanceof Long || k instanceof String;
    }

    private static String keyText(Object k) {
        return k instanceof String s && s.startsWith(":") ? s.substring(1) : String.valueOf(k);
    }

    /** The value of an event as Jepsen's independent tuple {@code [key value]}. */
    public static List<Object> tuple(String key, Object value) {
        List<Object> t = new ArrayList<>(2);
        t.add(key);
        t.add(value);
        return Collections.unmodifiableList(t);
    }
}
