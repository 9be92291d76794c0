package dev.linden.kvnode.kv;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One change to the store, as a watch sees it: a put (the key's new value and revisions) or a delete, at the
 * revision of its entry, with the key's value before it ({@code prevValue}, null if it was absent).
 */
public record KvEvent(
        Type type,
        long revision,
        String key,
        byte[] value,
        long createRevision,
        long modRevision,
        long version,
        byte[] prevValue) {
    public enum Type {
        PUT,
        DELETE
    }

    public String valueString() {
        return value == null ? null : new String(value, StandardCharsets.UTF_8);
    }

    public String prevValueString() {
        return prevValue == null ? null : new String(prevValue, StandardCharsets.UTF_8);
    }

    int encodedBytes(boolean withPrev) {
        return 1
                + 8
                + 4
                + KvRange.utf8Length(key)
                + 4
                + (value == null ? 0 : value.length)
                + 24
                + 4
                + (withPrev && prevValue != null ? prevValue.length : 0);
    }

    void writeTo(ByteBuffer b, boolean withPrev) {
        b.put((byte) type.ordinal()).putLong(revision);
        KvCommand.putBytes(b, key.getBytes(StandardCharsets.UTF_8));
        KvCommand.putBytes(b, value);
        b.putLong(createRevision).putLong(modRevision).putLong(version);
        KvCommand.putBytes(b, withPrev ? prevValue : null);
    }

    static KvEvent read(ByteBuffer b) {
        int t = b.get();
        if (t < 0 || t > 1) {
            throw new IllegalArgumentException("an event of unknown type " + t);
        }
        long revision = b.getLong();
        String key = KvCommand.getString(b, KvCommand.MAX_KEY_BYTES);
        byte[] value = KvCommand.getBytes(b, KvCommand.MAX_VALUE_BYTES);
        long create = b.getLong();
        long mod = b.getLong();
        long version = b.getLong();
        return new KvEvent(
                Type.values()[t],
                revision,
                key,
                value,
                create,
                mod,
                version,
                KvCommand.getBytes(b, KvCommand.MAX_VALUE_BYTES));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KvEvent e
                && e.type == type
                && e.revision == revision
                && e.key.equals(key)
                && Arrays.equals(e.value, value)
                && e.createRevision == createRevision
                && e.modRevision == modRevision
                && e.version == version
                && Arrays.equals(e.prevValue, prevValue);
    }

    @Override
    public int hashCode() {
        return key.hashCode() * 31 + Long.hashCode(revision);
    }

    @Override
    public String toString() {
        return type + "@" + revision + " " + key + "=" + valueString();
    }
}
