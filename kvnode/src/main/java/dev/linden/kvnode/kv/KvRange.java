package dev.linden.kvnode.kv;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * A read of one key or of keys in order, as etcd's Range: {@code end} null reads {@code key} alone; {@link #ALL}
 * ("\0") reads every key from {@code key} on; anything else reads {@code [key, end)} in code-point order (the
 * order of the keys' UTF-8 bytes). {@code limit} (0: none) caps the keys returned, {@code keysOnly} leaves the
 * values out, {@code countOnly} returns the count alone. Every page is read at one revision, which it reports;
 * a page cut short (by the limit or the node's byte bound) says {@code more}, and {@link #after} continues it.
 */
public record KvRange(String key, String end, long limit, boolean keysOnly, boolean countOnly) {
    /** As etcd's range end "\0": every key from the start key on. */
    public static final String ALL = "\0";

    public KvRange {
        if (key == null) {
            throw new IllegalArgumentException("a range needs a start key");
        }
        if (limit < 0) {
            throw new IllegalArgumentException("a range's limit must be >= 0, got " + limit);
        }
        checkKey(key);
        if (end != null) {
            checkKey(end);
        }
    }

    private static void checkKey(String k) {
        if (k.length() * 3L > KvCommand.MAX_KEY_BYTES && utf8Length(k) > KvCommand.MAX_KEY_BYTES) {
            throw new IllegalArgumentException("a range key is longer than " + KvCommand.MAX_KEY_BYTES + " bytes");
        }
    }

    public static KvRange key(String key) {
        return new KvRange(key, null, 0, false, false);
    }

    /** Keys in {@code [key, end)}. */
    public static KvRange between(String key, String end) {
        return new KvRange(key, end, 0, false, false);
    }

    /** Every key that starts with {@code prefix} (an empty prefix: every key). */
    public static KvRange prefix(String prefix) {
        return new KvRange(prefix, prefixEnd(prefix), 0, false, false);
    }

    public KvRange withLimit(long max) {
        return new KvRange(key, end, max, keysOnly, countOnly);
    }

    public KvRange withKeysOnly() {
        return new KvRange(key, end, limit, true, countOnly);
    }

    public KvRange withCountOnly() {
        return new KvRange(key, end, limit, keysOnly, true);
    }

    /** The rest of this range after {@code lastKey}, the last key of a page that said {@code more}. */
    public KvRange after(String lastKey) {
        if (end == null) {
            throw new IllegalArgumentException("a single-key read has no continuation");
        }
        return new KvRange(lastKey + "\0", end, limit, keysOnly, countOnly);
    }

    /** Whether {@code k} lies in this range. */
    public boolean contains(String k) {
        if (end == null) {
            return k.equals(key);
        }
        KeyOrder o = KeyOrder.INSTANCE;
        return o.compare(k, key) >= 0 && (end.equals(ALL) || o.compare(k, end) < 0);
    }

    /**
     * The first key after every key that starts with {@code prefix}: its last code point raised by one (code
     * points at the maximum dropped first); {@link #ALL} if there is none (an empty prefix, or all at the maximum).
     */
    public static String prefixEnd(String prefix) {
        int[] cps = prefix.codePoints().toArray();
        for (int i = cps.length - 1; i >= 0; i--) {
            if (cps[i] < Character.MAX_CODE_POINT) {
                int next = cps[i] + 1;
                if (next >= Character.MIN_SURROGATE && next <= Character.MAX_SURROGATE) {
                    next = Character.MAX_SURROGATE + 1; // surrogates are not code points of a string's text
                }
                cps[i] = next;
                return new String(cps, 0, i + 1);
            }
        }
        return ALL;
    }

    public byte[] encode() {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        byte[] e = end == null ? null : end.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(4 + k.length + 4 + (e == null ? 0 : e.length) + 8 + 1);
        KvCommand.putBytes(b, k);
        KvCommand.putBytes(b, e);
        b.putLong(limit).put((byte) ((keysOnly ? 1 : 0) | (countOnly ? 2 : 0)));
        return b.array();
    }

    public static KvRange decode(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        KvRange r = read(b);
        if (b.hasRemaining()) {
            throw new IllegalArgumentException("trailing bytes after a range");
        }
        return r;
    }

    static KvRange read(ByteBuffer b) {
        try {
            String key = KvCommand.getString(b, KvCommand.MAX_KEY_BYTES);
            String end = KvCommand.getString(b, KvCommand.MAX_KEY_BYTES);
            long limit = b.getLong();
            int flags = b.get();
            if (key == null || (flags & ~3) != 0) {
                throw new IllegalArgumentException("a range needs a start key and flags 0..3");
            }
            return new KvRange(key, end, limit, (flags & 1) != 0, (flags & 2) != 0);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("a range is truncated", e);
        }
    }

    static int utf8Length(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }
}
