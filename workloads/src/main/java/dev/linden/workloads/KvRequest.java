package dev.linden.workloads;

/**
 * How a key-value client performs a workload's operation: one request to the store. A workload maps its
 * operations to these (see {@link Workload#request}), so every key-value binding (simulated or real)
 * runs every workload.
 *
 * @param value    the value written or appended (PUT, APPEND, CAS's new value)
 * @param expected CAS's expected value
 */
public record KvRequest(Kind kind, String key, String value, String expected) {
    public enum Kind {
        GET,
        PUT,
        APPEND,
        CAS
    }

    public KvRequest {
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("a request needs a key");
        }
        if ((kind == Kind.GET) != (value == null) || (kind == Kind.CAS) != (expected != null)) {
            throw new IllegalArgumentException("malformed " + kind + " request");
        }
    }

    public static KvRequest get(String key) {
        return new KvRequest(Kind.GET, key, null, null);
    }

    public static KvRequest put(String key, String value) {
        return new KvRequest(Kind.PUT, key, value, null);
    }

    public static KvRequest append(String key, String value) {
        return new KvRequest(Kind.APPEND, key, value, null);
    }

    public static KvRequest cas(String key, String expected, String value) {
        return new KvRequest(Kind.CAS, key, value, expected);
    }

    public boolean isRead() {
        return kind == Kind.GET;
    }
}
