package dev.linden.kvnode.kv;

/**
 * Operations of the key-value store. GET through the log is allowed; fast reads use ReadIndex.
 * EXPIRE_SESSIONS is proposed by the leader only (clients are refused it): it carries the leader's time
 * and a time-to-live, so every replica drops the same sessions at the same index. RANGE (a {@link KvRange})
 * and TXN (a {@link KvTxn}) carry their request encoded in the command's value field. New ops go at the end:
 * the code of an op is its place here, and logs written before must decode the same. The lease ops carry their
 * argument as decimal text in the value field (a TTL in milliseconds, a lease id; see {@link KvLeases}).
 */
public enum KvOp {
    GET,
    PUT,
    DELETE,
    CAS,
    APPEND,
    EXPIRE_SESSIONS,
    RANGE,
    TXN,
    LEASE_GRANT,
    LEASE_REVOKE,
    LEASE_KEEPALIVE,
    /** Proposed by the leader only, as EXPIRE_SESSIONS: the leases whose time it judged run out. */
    LEASE_EXPIRE,
    /** A watch's read of the recent changes ({@link KvWatch}): a read-only query. */
    WATCH;

    private static final KvOp[] VALUES = values();

    /** Served as a read-only query (ReadIndex or a lease read) without a session: it changes nothing. */
    public boolean isRead() {
        return this == GET || this == RANGE || this == WATCH;
    }

    /** Proposed by the leader itself; a client's is refused. */
    public boolean leaderOnly() {
        return this == EXPIRE_SESSIONS || this == LEASE_EXPIRE;
    }

    /** Its value field is an encoded request ({@link KvRange}, {@link KvTxn}), not a value to store. */
    public boolean carriesBody() {
        return this == RANGE || this == TXN || this == WATCH;
    }

    public static KvOp fromCode(int code) {
        if (code < 0 || code >= VALUES.length) {
            throw new IllegalArgumentException("unknown KV op code " + code);
        }
        return VALUES[code];
    }
}
