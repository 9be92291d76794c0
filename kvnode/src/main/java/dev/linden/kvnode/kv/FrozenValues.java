package dev.linden.kvnode.kv;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Keys, value handles and revisions as of one moment ({@link ValueStore#freeze}), in key order, readable on any
 * thread: slabs are never moved, and no slot a view reads is reused until the view is released.
 */
final class FrozenValues {
    /** Numbers per key: create revision, mod revision, version, lease. */
    static final int LONGS_PER_KEY = 4;
    /** Bytes of them per key in a snapshot. */
    static final int REVISION_BYTES = 8 * LONGS_PER_KEY;

    private final String[] keys;
    private final long[] handles;
    /** Per key: create revision, mod revision, version, lease. */
    private final long[] revisions;

    private final ByteBuffer[] slabs;
    private final long dataBytes;
    private final long storeRevision;
    private boolean released;

    FrozenValues(
            String[] keys, long[] handles, long[] revisions, ByteBuffer[] slabs, long dataBytes, long storeRevision) {
        this.keys = keys;
        this.handles = handles;
        this.revisions = revisions;
        this.slabs = slabs;
        this.dataBytes = dataBytes;
        this.storeRevision = storeRevision;
    }

    int size() {
        return keys.length;
    }

    long storeRevision() {
        return storeRevision;
    }

    /** Bytes {@link #encodeTo} writes: (4 + key) + (4 + value) + revisions each. */
    long encodedBytes() {
        return dataBytes + (long) REVISION_BYTES * keys.length;
    }

    void markReleased() {
        if (released) {
            throw new IllegalStateException("a frozen view of the values released twice");
        }
        released = true;
    }

    /**
     * Writes every key, value and revisions as (length, bytes), (length or -1 for a null value, bytes), create
     * revision, mod revision, version, lease; the value straight from the slabs.
     */
    void encodeTo(ByteBuffer out) {
        for (int i = 0; i < keys.length; i++) {
            byte[] k = keys[i].getBytes(StandardCharsets.UTF_8);
            out.putInt(k.length).put(k);
            long h = handles[i];
            if (h == ValueStore.NULL_VALUE) {
                out.putInt(-1);
            } else {
                ByteBuffer slab = slabs[(int) (h >>> 32)];
                int len = slab.getInt((int) h);
                out.putInt(len);
                out.put(out.position(), slab, (int) h + 4, len);
                out.position(out.position() + len);
            }
            int at = LONGS_PER_KEY * i;
            out.putLong(revisions[at])
                    .putLong(revisions[at + 1])
                    .putLong(revisions[at + 2])
                    .putLong(revisions[at + 3]);
        }
    }
}
