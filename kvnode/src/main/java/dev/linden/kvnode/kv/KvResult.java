package dev.linden.kvnode.kv;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * The outcome of a command. {@code value}: for GET the value read (null if absent); for APPEND the new
 * value; for CAS the new value on success and the current value on {@link Status#CAS_MISMATCH}; null
 * for PUT and DELETE (the writer knows what it wrote: echoing it would cost every replica an encoding
 * and the network the bytes). {@code body}: the encoded {@link KvRangeResult} of a RANGE or {@link KvTxnResult}
 * of a TXN answered OK, else null; it follows the value field, so answers without one encode as before.
 */
public record KvResult(Status status, String value, byte[] body) {
    public enum Status {
        OK,
        /** CAS found a different value; nothing changed. */
        CAS_MISMATCH,
        /** The session forgot this command's result (it was acknowledged or evicted); it was not re-run. */
        SESSION_EXPIRED,
        /** The command could not be decoded; every replica refuses it the same way. */
        MALFORMED,
        /** The lease it names does not exist (never granted, revoked or expired); the value says which. */
        NOT_FOUND
    }

    /**
     * The largest answer a command may get: a status, an empty value field and a body of at most
     * {@link KvRangeResult#MAX_BODY_BYTES} (a range's page, or every page of a transaction's ranges).
     */
    public static final int MAX_ENCODED_BYTES = 1 + 4 + 4 + KvRangeResult.MAX_BODY_BYTES;

    public KvResult(Status status, String value) {
        this(status, value, null);
    }

    public static KvResult ok(String value) {
        return new KvResult(Status.OK, value);
    }

    public byte[] encode() {
        byte[] v = value == null ? null : value.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(1 + 4 + (v == null ? 0 : v.length) + (body == null ? 0 : 4 + body.length));
        b.put((byte) status.ordinal());
        KvCommand.putBytes(b, v);
        if (body != null) {
            KvCommand.putBytes(b, body);
        }
        return b.array();
    }

    /** An OK answer carrying a body, as the state machine encodes it. */
    static byte[] encodeBody(byte[] body) {
        return new KvResult(Status.OK, null, body).encode();
    }

    public static KvResult decode(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        int code = b.get();
        if (code < 0 || code >= Status.values().length) {
            throw new IllegalArgumentException("unknown result status " + code);
        }
        String value = KvCommand.getString(b, KvCommand.MAX_VALUE_BYTES);
        byte[] body = b.hasRemaining() ? KvCommand.getBytes(b, KvRangeResult.MAX_BODY_BYTES) : null;
        if (b.hasRemaining()) {
            throw new IllegalArgumentException("trailing bytes after a KV result");
        }
        return new KvResult(Status.values()[code], value, body);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KvResult r
                && r.status == status
                && Objects.equals(r.value, value)
                && Arrays.equals(r.body, body);
    }

    @Override
    public int hashCode() {
        return Objects.hash(status, value) * 31 + Arrays.hashCode(body);
    }

    @Override
    public String toString() {
        return "KvResult[status=" + status + ", value=" + value + (body == null ? "" : ", body=" + body.length + "B")
                + "]";
    }
}
