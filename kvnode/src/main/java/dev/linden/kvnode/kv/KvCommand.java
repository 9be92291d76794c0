package dev.linden.kvnode.kv;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * A client command as stored in the Raft log.
 *
 * <p>Sessions (Raft thesis §6.3): {@code clientId} names the session, {@code seq} numbers its
 * commands from 1, and {@code ackedSeq} tells the state machine that the client has received every
 * answer up to it, so cached results up to it can be dropped. {@code clientId == 0} means no session.
 *
 * <p>Wire layout: op(1) clientId(8) seq(8) ackedSeq(8) key(len4+utf8) value(len4+utf8, -1 = null)
 * expected(len4+utf8, -1 = null). For a RANGE or TXN ({@link KvOp#carriesBody}) the value field holds
 * {@code body}, the encoded {@link KvRange} or {@link KvTxn}, and the key is empty.
 */
public record KvCommand(
        KvOp op, long clientId, long seq, long ackedSeq, String key, String value, String expected, byte[] body) {
    /** Largest key accepted, in UTF-8 bytes. */
    public static final int MAX_KEY_BYTES = 1024;
    /** Largest value accepted, in UTF-8 bytes. */
    public static final int MAX_VALUE_BYTES = 1 << 20;

    public KvCommand {
        if (op == null || key == null) {
            throw new IllegalArgumentException("op and key are required");
        }
        if (op.carriesBody() != (body != null) || (body != null && value != null)) {
            throw new IllegalArgumentException(op + (op.carriesBody() ? " needs a body" : " takes no body"));
        }
        if (seq < 0 || ackedSeq < 0 || (clientId != 0 && seq == 0)) {
            throw new IllegalArgumentException("bad session numbers: seq " + seq + " acked " + ackedSeq);
        }
    }

    public KvCommand(KvOp op, long clientId, long seq, long ackedSeq, String key, String value, String expected) {
        this(op, clientId, seq, ackedSeq, key, value, expected, null);
    }

    public static KvCommand range(KvRange range) {
        return new KvCommand(KvOp.RANGE, 0, 0, 0, "", null, null, range.encode());
    }

    public static KvCommand watch(KvWatch watch) {
        return new KvCommand(KvOp.WATCH, 0, 0, 0, "", null, null, watch.encode());
    }

    public static KvCommand txn(KvTxn txn) {
        return new KvCommand(KvOp.TXN, 0, 0, 0, "", null, null, txn.encode());
    }

    public static KvCommand put(String key, String value) {
        return new KvCommand(KvOp.PUT, 0, 0, 0, key, value, null);
    }

    public static KvCommand get(String key) {
        return new KvCommand(KvOp.GET, 0, 0, 0, key, null, null);
    }

    public static KvCommand delete(String key) {
        return new KvCommand(KvOp.DELETE, 0, 0, 0, key, null, null);
    }

    public static KvCommand cas(String key, String expected, String value) {
        return new KvCommand(KvOp.CAS, 0, 0, 0, key, value, expected);
    }

    public static KvCommand append(String key, String value) {
        return new KvCommand(KvOp.APPEND, 0, 0, 0, key, value, null);
    }

    /**
     * The leader's session expiry: sessions idle for more than {@code ttlMillis} of the log's clock (the
     * largest time any expiry entry carried so far, {@code nowMillis} included) are dropped.
     */
    public static KvCommand expireSessions(long nowMillis, long ttlMillis) {
        if (nowMillis < 0 || ttlMillis < 1) {
            throw new IllegalArgumentException("bad expiry time " + nowMillis + " or ttl " + ttlMillis);
        }
        return new KvCommand(KvOp.EXPIRE_SESSIONS, 0, 0, 0, "", nowMillis + ":" + ttlMillis, null);
    }

    /** A lease of {@code ttlMillis}; answered with its id (the grant's log index). */
    public static KvCommand leaseGrant(long ttlMillis) {
        return new KvCommand(KvOp.LEASE_GRANT, 0, 0, 0, "", String.valueOf(ttlMillis), null);
    }

    /** Keeps lease {@code id} alive; answered with its TTL, or NOT_FOUND. */
    public static KvCommand leaseKeepAlive(long id) {
        return new KvCommand(KvOp.LEASE_KEEPALIVE, 0, 0, 0, "", String.valueOf(id), null);
    }

    /** Revokes lease {@code id}, deleting its keys; answered with how many, or NOT_FOUND. */
    public static KvCommand leaseRevoke(long id) {
        return new KvCommand(KvOp.LEASE_REVOKE, 0, 0, 0, "", String.valueOf(id), null);
    }

    /** The leader's expiry of leases, "id:keepAliveIndex,..." (see {@code KvLeases#expire}). */
    public static KvCommand leaseExpire(String spec) {
        return new KvCommand(KvOp.LEASE_EXPIRE, 0, 0, 0, "", spec, null);
    }

    public KvCommand withSession(long clientId, long seq, long ackedSeq) {
        return new KvCommand(op, clientId, seq, ackedSeq, key, value, expected, body);
    }

    public byte[] encode() {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        byte[] v = body != null ? body : value == null ? null : value.getBytes(StandardCharsets.UTF_8);
        byte[] x = expected == null ? null : expected.getBytes(StandardCharsets.UTF_8);
        if (k.length > MAX_KEY_BYTES
                || (v != null && v.length > MAX_VALUE_BYTES)
                || (x != null && x.length > MAX_VALUE_BYTES)) {
            throw new IllegalArgumentException("key or value too large");
        }
        ByteBuffer b =
                ByteBuffer.allocate(1 + 24 + 12 + k.length + (v == null ? 0 : v.length) + (x == null ? 0 : x.length));
        b.put((byte) op.ordinal()).putLong(clientId).putLong(seq).putLong(ackedSeq);
        putBytes(b, k);
        putBytes(b, v);
        putBytes(b, x);
        return b.array();
    }

    public static KvCommand decode(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        KvOp op = KvOp.fromCode(b.get());
        long clientId = b.getLong();
        long seq = b.getLong();
        long acked = b.getLong();
        String key = getString(b, MAX_KEY_BYTES);
        byte[] body = op.carriesBody() ? getBytes(b, MAX_VALUE_BYTES) : null;
        String value = op.carriesBody() ? null : getString(b, MAX_VALUE_BYTES);
        String expected = getString(b, MAX_VALUE_BYTES);
        if (b.hasRemaining()) {
            throw new IllegalArgumentException("trailing bytes after KV command");
        }
        return new KvCommand(op, clientId, seq, acked, key, value, expected, body);
    }

    /** The op of an encoded command, without decoding the rest (it must have passed {@link #validate}). */
    public static KvOp opOf(byte[] encoded) {
        return KvOp.fromCode(encoded[0]);
    }

    /** The session of an encoded command (0: none), without decoding the rest. */
    public static long clientIdOf(byte[] encoded) {
        return ByteBuffer.wrap(encoded, 1, 8).getLong();
    }

    /**
     * Checks an encoded command's structure (op, session numbers, field lengths and limits) without
     * building its strings. Returns null if it is well formed, else what is wrong.
     */
    public static String validate(byte[] encoded) {
        if (encoded.length < HEADER_BYTES + 12) {
            return "command of " + encoded.length + " bytes is too short";
        }
        ByteBuffer b = ByteBuffer.wrap(encoded);
        int op = b.get();
        if (op < 0 || op >= KvOp.values().length) {
            return "unknown op code " + op;
        }
        long clientId = b.getLong();
        long seq = b.getLong();
        long acked = b.getLong();
        if (seq < 0 || acked < 0 || (clientId != 0 && seq == 0)) {
            return "bad session numbers";
        }
        int[] limits = {MAX_KEY_BYTES, MAX_VALUE_BYTES, MAX_VALUE_BYTES};
        for (int i = 0; i < 3; i++) {
            if (b.remaining() < 4) {
                return "truncated";
            }
            int len = b.getInt();
            if (len == -1 && i > 0) {
                continue;
            }
            if (len < 0 || len > limits[i] || len > b.remaining()) {
                return "bad field length " + len;
            }
            b.position(b.position() + len);
        }
        if (b.hasRemaining()) {
            return "trailing bytes";
        }
        return KvOp.fromCode(op).carriesBody() ? bodyProblem(encoded) : null;
    }

    /** What is wrong with a RANGE's or TXN's body (structurally sound command), or null. */
    private static String bodyProblem(byte[] encoded) {
        try {
            KvCommand c = decode(encoded);
            if (!c.key.isEmpty() || c.body == null) {
                return c.op + " carries its request in the value field, with an empty key";
            }
            switch (c.op) {
                case RANGE -> KvRange.decode(c.body);
                case WATCH -> KvWatch.decode(c.body);
                default -> KvTxn.decode(c.body);
            }
            return null;
        } catch (RuntimeException e) {
            return e.getMessage();
        }
    }

    /** op, clientId, seq, ackedSeq. */
    static final int HEADER_BYTES = 1 + 24;

    static void putBytes(ByteBuffer b, byte[] bytes) {
        if (bytes == null) {
            b.putInt(-1);
        } else {
            b.putInt(bytes.length).put(bytes);
        }
    }

    static String getString(ByteBuffer b, int maxBytes) {
        byte[] bytes = getBytes(b, maxBytes);
        return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
    }

    static byte[] getBytes(ByteBuffer b, int maxBytes) {
        int len = b.getInt();
        if (len == -1) {
            return null;
        }
        if (len < 0 || len > maxBytes || len > b.remaining()) {
            throw new IllegalArgumentException("bad length " + len);
        }
        byte[] bytes = new byte[len];
        b.get(bytes);
        return bytes;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KvCommand c
                && c.op == op
                && c.clientId == clientId
                && c.seq == seq
                && c.ackedSeq == ackedSeq
                && c.key.equals(key)
                && Objects.equals(c.value, value)
                && Objects.equals(c.expected, expected)
                && Arrays.equals(c.body, body);
    }

    @Override
    public int hashCode() {
        return Objects.hash(op, clientId, seq, key, value) * 31 + Arrays.hashCode(body);
    }

    @Override
    public String toString() {
        return "KvCommand[" + op + " session=" + clientId + "/" + seq + "/" + ackedSeq + " key=" + key + " value="
                + value + " expected=" + expected + (body == null ? "" : " body=" + body.length + "B") + "]";
    }
}
