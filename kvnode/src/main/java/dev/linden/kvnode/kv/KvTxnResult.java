package dev.linden.kvnode.kv;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A transaction's outcome: whether its compares held (so which branch ran), the store's revision after it, and
 * one result per op of that branch: a GET's page, a DELETE's count of keys deleted, nothing for PUT and APPEND.
 */
public record KvTxnResult(boolean succeeded, long revision, List<OpResult> results) {
    /** Bytes of headers an answer may hold beside its keys and values (every op's, at most). */
    static final int MAX_HEADER_BYTES = 1 + 8 + 4 + KvTxn.MAX_OPS * (1 + KvRangeResult.HEADER_BYTES);

    /** One op's result: {@code range} for a GET, {@code deleted} for a DELETE. */
    public record OpResult(KvTxn.Kind kind, KvRangeResult range, long deleted) {}

    public KvTxnResult {
        results = List.copyOf(results);
    }

    public byte[] encode() {
        int n = 1 + 8 + 4;
        for (OpResult r : results) {
            n += 1 + (r.kind == KvTxn.Kind.GET ? r.range.encodedBytes() : r.kind == KvTxn.Kind.DELETE ? 8 : 0);
        }
        ByteBuffer b = ByteBuffer.allocate(n);
        b.put((byte) (succeeded ? 1 : 0)).putLong(revision).putInt(results.size());
        for (OpResult r : results) {
            b.put((byte) r.kind.ordinal());
            if (r.kind == KvTxn.Kind.GET) {
                r.range.writeTo(b);
            } else if (r.kind == KvTxn.Kind.DELETE) {
                b.putLong(r.deleted);
            }
        }
        return b.array();
    }

    public static KvTxnResult decode(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        try {
            boolean succeeded = b.get() != 0;
            long revision = b.getLong();
            int n = b.getInt();
            if (n < 0 || n > KvTxn.MAX_OPS) {
                throw new IllegalArgumentException("a transaction result of " + n + " ops");
            }
            List<OpResult> results = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                int code = b.get();
                if (code < 0 || code >= KvTxn.Kind.values().length) {
                    throw new IllegalArgumentException("a transaction result has an unknown op " + code);
                }
                KvTxn.Kind kind = KvTxn.Kind.values()[code];
                KvRangeResult range = kind == KvTxn.Kind.GET ? KvRangeResult.read(b) : null;
                results.add(new OpResult(kind, range, kind == KvTxn.Kind.DELETE ? b.getLong() : 0));
            }
            if (b.hasRemaining()) {
                throw new IllegalArgumentException("trailing bytes after a transaction result");
            }
            return new KvTxnResult(succeeded, revision, results);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("a transaction result is truncated", e);
        }
    }
}
