package dev.linden.kvnode.kv;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The outcome of a command. {@code value}: for GET the value read (null if absent); for APPEND the new
 * value; for CAS the new value on success and the current value on {@link Status#CAS_MISMATCH}; null
 * for PUT and DELETE (the writer knows what it wrote: echoing it would cost every replica an encoding
 * and the network the bytes).
 */
public record KvResult(Status status, String value) {
    public enum Status {
        OK,
        /** CAS found a different value; nothing changed. */
        CAS_MISMATCH,
        /** The session forgot this command's result (it was acknowledged or evicted); it was not re-run. */
        SESSION_EXPIRED,
        /** The command could not be decoded; every replica refuses it the same way. */
        MALFORMED
    }

    public static KvResult ok(String value) {
        return new KvResult(Status.OK, value);
    }

    public byte[] encode() {
        byte[] v = value == null ? null : value.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(1 + 4 + (v == null ? 0 : v.length));
        b.put((byte) status.ordinal());
        KvCommand.putBytes(b, v);
        return b.array();
    }

    public static KvResult decode(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        int code = b.get();
        if (code < 0 || code >= Status.values().length) {
            throw new IllegalArgumentException("unknown result status " + code);
        }
        return new KvResult(Status.values()[code], KvCommand.getString(b, KvCommand.MAX_VALUE_BYTES));
    }
}
