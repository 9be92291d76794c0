package dev.linden.kvnode.kv;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A command decoded for apply (key a string, value and expected raw bytes). Validated once where it entered
 * ({@link KvCommand#validate}); apply only parses, and bytes that do not parse are refused alike everywhere.
 */
record ParsedCommand(
        KvOp op,
        long clientId,
        long seq,
        long ackedSeq,
        String key,
        byte[] command,
        int valueAt,
        int valueLength,
        byte[] expected) {
    static ParsedCommand of(byte[] command) {
        ByteBuffer b = ByteBuffer.wrap(command);
        KvOp op = KvOp.fromCode(b.get());
        long clientId = b.getLong();
        long seq = b.getLong();
        long acked = b.getLong();
        int keyLen = b.getInt();
        String key = new String(command, b.position(), keyLen, StandardCharsets.UTF_8);
        b.position(b.position() + keyLen);
        // The value stays in the command (a put copies it straight into the store); the expected value is
        // small and rare (CAS only).
        int valueLength = b.getInt();
        int valueAt = b.position();
        if (valueLength > b.remaining()) {
            throw new IllegalArgumentException("value of " + valueLength + " bytes past the command's end");
        }
        b.position(valueAt + Math.max(0, valueLength));
        ParsedCommand parsed =
                new ParsedCommand(op, clientId, seq, acked, key, command, valueAt, valueLength, bytes(b));
        if (b.hasRemaining()) {
            throw new IllegalArgumentException("trailing bytes after KV command");
        }
        return parsed;
    }

    /** A copy of the value, or null. */
    byte[] value() {
        return valueLength < 0 ? null : Arrays.copyOfRange(command, valueAt, valueAt + valueLength);
    }

    private static byte[] bytes(ByteBuffer b) {
        int len = b.getInt();
        if (len < 0) {
            return null;
        }
        byte[] v = new byte[len];
        b.get(v);
        return v;
    }
}
