package dev.linden.kvnode.client;

import dev.linden.kvnode.kv.KvCommand;
import io.netty.buffer.ByteBufUtil;

/** A command's sizes against the limits every node applies, checked by the client before it sends. */
final class RequestSize {
    private RequestSize() {}

    /**
     * Why {@code command} is over the limits every node applies, or null. Checked before anything is sent:
     * a command that cannot be encoded would otherwise fail on the client's own thread, unanswered.
     */
    static String problem(KvCommand command) {
        if (command.body() != null && command.body().length > KvCommand.MAX_VALUE_BYTES) {
            return command.op() + " of " + command.body().length + " bytes exceeds the limit of "
                    + KvCommand.MAX_VALUE_BYTES + " bytes";
        }
        String key = command.key();
        // Counted only when it might not fit (a UTF-16 char is at most 3 UTF-8 bytes): this runs for every request.
        if (key.length() * 3L > KvCommand.MAX_KEY_BYTES) {
            int bytes = ByteBufUtil.utf8Bytes(key);
            if (bytes > KvCommand.MAX_KEY_BYTES) {
                return "key of " + bytes + " bytes exceeds the limit of " + KvCommand.MAX_KEY_BYTES
                        + " bytes (--max-key-bytes)";
            }
        }
        String value = valueSizeProblem("value", command.value());
        return value != null ? value : valueSizeProblem("expected value", command.expected());
    }

    private static String valueSizeProblem(String what, String value) {
        if (value == null || value.length() * 3L <= KvCommand.MAX_VALUE_BYTES) {
            return null;
        }
        int bytes = ByteBufUtil.utf8Bytes(value);
        return bytes <= KvCommand.MAX_VALUE_BYTES
                ? null
                : what + " of " + bytes + " bytes exceeds the limit of " + KvCommand.MAX_VALUE_BYTES
                        + " bytes (--max-value-bytes)";
    }
}
