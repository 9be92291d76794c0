package dev.linden.kvnode.kv;

/**
 * Operations of the key-value store. GET through the log is allowed; fast reads use ReadIndex.
 * EXPIRE_SESSIONS is proposed by the leader only (clients are refused it): it carries the leader's time
 * and a time-to-live, so every replica drops the same sessions at the same index.
 */
public enum KvOp {
    GET,
    PUT,
    DELETE,
    CAS,
    APPEND,
    EXPIRE_SESSIONS;

    private static final KvOp[] VALUES = values();

    public static KvOp fromCode(int code) {
        if (code < 0 || code >= VALUES.length) {
            throw new IllegalArgumentException("unknown KV op code " + code);
        }
        return VALUES[code];
    }
}
