package dev.linden.workloads.check;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one check found: its validity and details, as results files hold them. Details are plain data
 * (strings, numbers, booleans, lists, maps with string keys), in a stable order.
 */
public record CheckOutcome(String name, Validity valid, Map<String, Object> details) {
    public CheckOutcome {
        details = Collections.unmodifiableMap(new LinkedHashMap<>(details));
    }

    /** The outcome as one results map: {@code valid} first, then the details. */
    public Map<String, Object> asMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("valid", valid.asValue());
        m.putAll(details);
        return m;
    }
}
