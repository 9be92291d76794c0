package dev.linden.kvnode.kv;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.logging.Logger;

/**
 * The KV data: keys on the heap, value bytes off it, in slabs of direct memory with size-class free
 * lists. A write under load replaces a value every few microseconds; kept on the heap, each value would
 * live about as long as it takes to rewrite every key (a second at 100k writes/s over 100k keys), long
 * enough to be copied by young collections and promoted, then die in the old generation. Off the heap
 * it costs the collector nothing. Overwriting a key allocates nothing on the heap.
 *
 * <p>Single-threaded (the apply stage). Memory grows with the data; freed slots are reused. Direct slabs
 * stay within {@code maxDirectBytes} (the node's share for values, beside Netty's): past it, new slabs
 * are on the heap, so values never take the direct memory the network needs, and an apply never fails
 * for want of it (every replica would fail on the same entry).
 */
final class ValueStore {
    /** Bytes per direct slab. A value never spans slabs (values are at most {@link KvCommand#MAX_VALUE_BYTES}). */
    static final int SLAB_BYTES = 16 << 20;

    private static final int SMALL_STEP = 64;
    private static final int SMALL_MAX = 4096;
    static final long NULL_VALUE = -1;

    /**
     * The store's revision: how many applied entries changed it (an entry that changes nothing, a delete of an
     * absent key say, takes none). Every write of one entry gets the same revision.
     */
    private long revision;
    /** Inside an entry ({@link #beginEntry}): the revision its writes take. */
    private long entryRevision;

    private boolean entryWrote;

    /** The sum of every slot's hash: a digest of the whole data kept up to date, so reading it costs nothing. */
    private long digestSum;

    /** Views not yet released: while there are any, freed slots are set aside instead of reused. */
    private int frozenViews;
    /** Handles freed while a view was out: reused once the last view is released. */
    private long[] deferredFrees = new long[64];

    private int deferredCount;

    /** Bytes a snapshot takes for the data ((4 + key) + (4 + value) each), kept up to date (read for quotas). */
    private long dataBytes;

    private final long maxDirectBytes;
    /** Bytes of direct slabs held: at most maxDirectBytes. */
    private long directBytes;
    /** Heap slabs made since the direct budget was reached (logged once per store). */
    private int heapSlabs;

    ValueStore() {
        this(Long.MAX_VALUE);
    }

    ValueStore(long maxDirectBytes) {
        if (maxDirectBytes < 0) {
            throw new IllegalArgumentException("values' direct memory must be >= 0");
        }
        this.maxDirectBytes = maxDirectBytes;
    }

    private final HashMap<String, KeySlot> keys = new HashMap<>();
    /** The same slots in key order (by code point, as UTF-8 bytes sort): changed only when a key comes or goes. */
    private final TreeMap<String, KeySlot> ordered = new TreeMap<>(KeyOrder.INSTANCE);

    private final ArrayList<ByteBuffer> slabs = new ArrayList<>();
    private int slabUsed = SLAB_BYTES; // forces a first slab
    /** Free handles per size class. */
    private final ArrayList<long[]> freeLists = new ArrayList<>();

    private final ArrayList<Integer> freeCounts = new ArrayList<>();

    int size() {
        return keys.size();
    }

    byte[] get(String key) {
        KeySlot s = keys.get(key);
        return s == null ? null : read(s.handle);
    }

    void put(String key, byte[] value) {
        put(key, value, 0, value == null ? -1 : value.length);
    }

    /** Puts the {@code length} bytes of {@code src} at {@code at} (a length below 0 for a null value). */
    void put(String key, byte[] src, int at, int length) {
        long rev = writeRevision();
        KeySlot s = keys.get(key);
        if (s == null) {
            s = new KeySlot();
            s.keyBytes = key.getBytes(StandardCharsets.UTF_8).length;
            s.createRevision = rev;
            keys.put(key, s);
            ordered.put(key, s);
            dataBytes += 8 + s.keyBytes;
        } else {
            dataBytes -= valueBytes(s.handle);
            digestSum -= s.hash;
            free(s.handle);
        }
        s.handle = length < 0 ? NULL_VALUE : allocate(src, at, length);
        s.modRevision = rev;
        s.version++;
        s.hash = StateDigest.of(key, src, at, length, s.createRevision, rev, s.version);
        digestSum += s.hash;
        dataBytes += Math.max(0, length);
    }

    /** Removes the key; true if it was there. */
    boolean remove(String key) {
        KeySlot s = keys.remove(key);
        if (s == null) {
            return false;
        }
        writeRevision();
        ordered.remove(key);
        dataBytes -= 8 + s.keyBytes + valueBytes(s.handle);
        digestSum -= s.hash;
        free(s.handle);
        return true;
    }

    /** An applied entry begins: its writes take the next revision, which the store keeps if any write came. */
    void beginEntry() {
        entryRevision = revision + 1;
        entryWrote = false;
    }

    void endEntry() {
        if (entryWrote) {
            revision = entryRevision;
        }
        entryRevision = 0;
        entryWrote = false;
    }

    private long writeRevision() {
        if (entryRevision == 0) {
            throw new IllegalStateException("a write outside an entry (beginEntry first)");
        }
        entryWrote = true;
        return entryRevision;
    }

    /** The store's revision (see {@link #revision}); inside an entry, as of the entry's start. */
    long revision() {
        return revision;
    }

    /** The revision the current entry's writes take (its reads report it once it wrote). */
    long revisionSeen() {
        return entryWrote ? entryRevision : revision;
    }

    /** A key's slot (revisions), or null. */
    KeySlot slot(String key) {
        return keys.get(key);
    }

    /** The value of a slot (a copy), or null. */
    byte[] value(KeySlot s) {
        return read(s.handle);
    }

    /** Bytes of a slot's value (0 for null). */
    int valueLength(KeySlot s) {
        return valueBytes(s.handle);
    }

    /** Keys in {@code [from, to)} in order ({@code to} null: to the last key), read-only, live. */
    SortedMap<String, KeySlot> range(String from, String to) {
        if (to == null) {
            return Collections.unmodifiableSortedMap(ordered.tailMap(from, true));
        }
        if (KeyOrder.INSTANCE.compare(from, to) >= 0) {
            return Collections.emptySortedMap();
        }
        return Collections.unmodifiableSortedMap(ordered.subMap(from, true, to, false));
    }

    /** Restores one key as a snapshot holds it (outside any entry). */
    void restore(String key, byte[] value, long createRevision, long modRevision, long version) {
        entryRevision = Math.max(1, modRevision);
        put(key, value, 0, value == null ? -1 : value.length);
        entryRevision = 0;
        entryWrote = false;
        KeySlot s = keys.get(key);
        digestSum -= s.hash;
        s.createRevision = createRevision;
        s.modRevision = modRevision;
        s.version = version;
        s.hash = StateDigest.of(key, value, 0, value == null ? -1 : value.length, createRevision, modRevision, version);
        digestSum += s.hash;
    }

    /** The store's revision as a snapshot holds it. */
    void restoreRevision(long revision) {
        if (revision < 0) {
            throw new IllegalArgumentException("negative revision " + revision);
        }
        this.revision = revision;
    }

    /**
     * A digest of every key and value, equal on replicas holding the same data whatever the order they were
     * written in (a sum of per-key hashes, with the count).
     */
    long digest() {
        return StateDigest.mix(digestSum + keys.size());
    }

    /**
     * Every key and value as of now, for {@link FrozenValues#encodeTo} on another thread while this store goes on
     * changing on its own: the keys and handles are copied (a few milliseconds for 100,000 keys), the value bytes
     * are not, and no slot the view reads is reused until {@link #release} (freed ones are set aside meanwhile).
     */
    FrozenValues freeze() {
        int n = ordered.size();
        String[] k = new String[n];
        long[] h = new long[n];
        long[] revs = new long[3 * n];
        int i = 0;
        for (Map.Entry<String, KeySlot> e : ordered.entrySet()) {
            KeySlot s = e.getValue();
            k[i] = e.getKey();
            h[i] = s.handle;
            revs[3 * i] = s.createRevision;
            revs[3 * i + 1] = s.modRevision;
            revs[3 * i++ + 2] = s.version;
        }
        frozenViews++;
        return new FrozenValues(k, h, revs, slabs.toArray(new ByteBuffer[0]), dataBytes, revision);
    }

    /** The view is done with: once no view is out, the slots freed meanwhile are reused. */
    void release(FrozenValues view) {
        view.markReleased();
        if (--frozenViews > 0) {
            return;
        }
        int n = deferredCount;
        deferredCount = 0;
        for (int i = 0; i < n; i++) {
            free(deferredFrees[i]);
        }
    }

    /** Bytes of keys and values (as a snapshot encodes them): what a storage quota counts. */
    long dataBytes() {
        return dataBytes;
    }

    private int valueBytes(long handle) {
        return handle == NULL_VALUE ? 0 : slabs.get((int) (handle >>> 32)).getInt((int) handle);
    }

    void clear() {
        dataBytes = 0;
        digestSum = 0;
        deferredCount = 0; // handles into the slabs dropped here; a view out keeps its own references to them
        keys.clear();
        ordered.clear();
        revision = 0;
        slabs.clear();
        directBytes = 0;
        slabUsed = SLAB_BYTES;
        freeLists.clear();
        freeCounts.clear();
    }

    // ------------------------------------------------------------------ slabs

    /** Slot bytes for a value of {@code length} (4-byte length prefix included), by size class. */
    private static int sizeClass(int length) {
        int need = length + 4;
        if (need <= SMALL_MAX) {
            return (need + SMALL_STEP - 1) / SMALL_STEP - 1; // classes 0..63: 64..4096 bytes
        }
        return 64 + (32 - Integer.numberOfLeadingZeros(need - 1)) - 13; // 8 KiB, 16 KiB, ...
    }

    private static int classBytes(int sizeClass) {
        return sizeClass < 64 ? (sizeClass + 1) * SMALL_STEP : 1 << (sizeClass - 64 + 13);
    }

    private long allocate(byte[] src, int at, int length) {
        int c = sizeClass(length);
        long handle = popFree(c);
        if (handle < 0) {
            int bytes = classBytes(c);
            if (slabUsed + bytes > SLAB_BYTES) {
                slabs.add(newSlab());
                slabUsed = 0;
            }
            handle = ((long) (slabs.size() - 1) << 32) | slabUsed;
            slabUsed += bytes;
        }
        ByteBuffer slab = slabs.get((int) (handle >>> 32));
        int offset = (int) handle;
        slab.putInt(offset, length);
        slab.put(offset + 4, src, at, length);
        return handle;
    }

    private ByteBuffer newSlab() {
        if (directBytes + SLAB_BYTES <= maxDirectBytes) {
            directBytes += SLAB_BYTES;
            return ByteBuffer.allocateDirect(SLAB_BYTES);
        }
        if (heapSlabs++ == 0) {
            Logger.getLogger(ValueStore.class.getName())
                    .warning("event=values-on-heap reason=" + "direct-budget-reached values-direct-mb="
                            + (maxDirectBytes >> 20));
        }
        return ByteBuffer.allocate(SLAB_BYTES);
    }

    /** Bytes of direct slabs held (tests). */
    long directBytes() {
        return directBytes;
    }

    /** Slabs held, direct and heap (tests). */
    int slabCount() {
        return slabs.size();
    }

    private byte[] read(long handle) {
        if (handle == NULL_VALUE) {
            return null;
        }
        ByteBuffer slab = slabs.get((int) (handle >>> 32));
        int offset = (int) handle;
        byte[] v = new byte[slab.getInt(offset)];
        slab.get(offset + 4, v, 0, v.length);
        return v;
    }

    private void free(long handle) {
        if (handle == NULL_VALUE) {
            return;
        }
        if (frozenViews > 0) {
            if (deferredCount == deferredFrees.length) {
                deferredFrees = Arrays.copyOf(deferredFrees, deferredCount * 2);
            }
            deferredFrees[deferredCount++] = handle;
            return;
        }
        ByteBuffer slab = slabs.get((int) (handle >>> 32));
        int c = sizeClass(slab.getInt((int) handle));
        while (freeLists.size() <= c) {
            freeLists.add(new long[16]);
            freeCounts.add(0);
        }
        long[] list = freeLists.get(c);
        int n = freeCounts.get(c);
        if (n == list.length) {
            list = Arrays.copyOf(list, n * 2);
            freeLists.set(c, list);
        }
        list[n] = handle;
        freeCounts.set(c, n + 1);
    }

    private long popFree(int c) {
        if (c >= freeLists.size() || freeCounts.get(c) == 0) {
            return -1;
        }
        int n = freeCounts.get(c) - 1;
        freeCounts.set(c, n);
        return freeLists.get(c)[n];
    }
}
