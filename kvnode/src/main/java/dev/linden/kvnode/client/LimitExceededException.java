package dev.linden.kvnode.client;

/**
 * A command over a size limit, refused by the client before anything is sent: it certainly did not take
 * effect. The limits are the largest any node accepts ({@link dev.linden.kvnode.kv.KvCommand#MAX_KEY_BYTES},
 * {@link dev.linden.kvnode.kv.KvCommand#MAX_VALUE_BYTES}); a node's {@code --max-key-bytes} and
 * {@code --max-value-bytes} may set lower ones, which that node refuses in turn.
 */
public final class LimitExceededException extends RuntimeException {
    public LimitExceededException(String message) {
        super(message, null, false, false);
    }
}
