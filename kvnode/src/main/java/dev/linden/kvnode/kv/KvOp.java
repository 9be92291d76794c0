package dev.linden.kvnode.kv;

/** Operations of the key-value store. GET through the log is allowed; fast reads use ReadIndex. */
public enum KvOp {
    GET, PUT, DELETE, CAS, APPEND;

    private static final KvOp[] VALUES = values();

    public static KvOp fromCode(int code) {
        if (code < 0 || code >= VALUES.length) {
            throw new IllegalArgumentException("unknown KV op code " + code);
        }
        return VALUES[code];
    }
}
