package dev.linden.kvnode.kv;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A range's page: the store's revision it was read at, how many keys the range holds, whether keys were left
 * out (by the limit or the byte bound: continue with {@link KvRange#after}), and the keys returned in order.
 * The count is exact unless the answer walked over more than a mebikey (2^20 keys, see {@code KvQueries}); then
 * it is a lower bound, and {@code more} is set.
 */
public record KvRangeResult(long revision, long count, boolean more, List<KeyValue> kvs) {
    /** One key as read: its value (null if keys only, or a null value), its revisions and version. */
    public record KeyValue(String key, byte[] value, long createRevision, long modRevision, long version) {
        public String valueString() {
            return value == null ? null : new String(value, StandardCharsets.UTF_8);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof KeyValue kv
                    && kv.key.equals(key)
                    && Arrays.equals(kv.value, value)
                    && kv.createRevision == createRevision
                    && kv.modRevision == modRevision
                    && kv.version == version;
        }

        @Override
        public int hashCode() {
            return key.hashCode() * 31 + Long.hashCode(modRevision);
        }

        @Override
        public String toString() {
            return key + "=" + valueString() + "@" + createRevision + "/" + modRevision + "/v" + version;
        }
    }

    /** Encoded bytes per key beside the key and value: two lengths and three numbers. */
    static final int KV_OVERHEAD_BYTES = 4 + 4 + 24;
    /** A page's header: revision, count, more, number of keys. */
    static final int HEADER_BYTES = 8 + 8 + 1 + 4;
    /**
     * Keys and values one answer holds (every page of a transaction's ranges together) before a page stops and
     * says {@code more}; an answer holds at least one key, however large.
     */
    public static final int PAGE_BUDGET_BYTES = 512 << 10;
    /** The largest body an answer has: the budget or one largest key and value, plus every op's header. */
    public static final int MAX_BODY_BYTES =
            Math.max(PAGE_BUDGET_BYTES, KvCommand.MAX_KEY_BYTES + KvCommand.MAX_VALUE_BYTES + KV_OVERHEAD_BYTES)
                    + KvTxnResult.MAX_HEADER_BYTES;

    public KvRangeResult {
        kvs = List.copyOf(kvs);
    }

    /** The value of the only key read, or null (absent or none read). */
    public String valueOf(String key) {
        for (KeyValue kv : kvs) {
            if (kv.key.equals(key)) {
                return kv.valueString();
            }
        }
        return null;
    }

    int encodedBytes() {
        int n = HEADER_BYTES;
        for (KeyValue kv : kvs) {
            n += KV_OVERHEAD_BYTES + KvRange.utf8Length(kv.key) + (kv.value == null ? 0 : kv.value.length);
        }
        return n;
    }

    public byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(encodedBytes());
        writeTo(b);
        return b.array();
    }

    void writeTo(ByteBuffer b) {
        b.putLong(revision).putLong(count).put((byte) (more ? 1 : 0)).putInt(kvs.size());
        for (KeyValue kv : kvs) {
            KvCommand.putBytes(b, kv.key.getBytes(StandardCharsets.UTF_8));
            KvCommand.putBytes(b, kv.value);
            b.putLong(kv.createRevision).putLong(kv.modRevision).putLong(kv.version);
        }
    }

    public static KvRangeResult decode(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        KvRangeResult r = read(b);
        if (b.hasRemaining()) {
            throw new IllegalArgumentException("trailing bytes after a range result");
        }
        return r;
    }

    static KvRangeResult read(ByteBuffer b) {
        try {
            long revision = b.getLong();
            long count = b.getLong();
            boolean more = b.get() != 0;
            int n = b.getInt();
            if (n < 0 || n > b.remaining() / KV_OVERHEAD_BYTES) {
                throw new IllegalArgumentException("a range result with a bad key count " + n);
            }
            List<KeyValue> kvs = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                String key = KvCommand.getString(b, KvCommand.MAX_KEY_BYTES);
                byte[] value = KvCommand.getBytes(b, KvCommand.MAX_VALUE_BYTES);
                kvs.add(new KeyValue(key, value, b.getLong(), b.getLong(), b.getLong()));
            }
            return new KvRangeResult(revision, count, more, kvs);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("a range result is truncated", e);
        }
    }
}
