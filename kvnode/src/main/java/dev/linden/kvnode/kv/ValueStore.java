package dev.linden.kvnode.kv;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BiConsumer;
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
    private static final long NULL_VALUE = -1;

    /** A key's value: its handle (slab << 32 | offset), or NULL_VALUE. Mutable so an overwrite allocates nothing. */
    private static final class Slot {
        long handle;
        int keyBytes;
    }

    /** What {@link #encodedBytes()} would return, kept up to date on every change (read for quotas). */
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

    private final HashMap<String, Slot> keys = new HashMap<>();
    private final ArrayList<ByteBuffer> slabs = new ArrayList<>();
    private int slabUsed = SLAB_BYTES; // forces a first slab
    /** Free handles per size class. */
    private final ArrayList<long[]> freeLists = new ArrayList<>();

    private final ArrayList<Integer> freeCounts = new ArrayList<>();

    int size() {
        return keys.size();
    }

    byte[] get(String key) {
        Slot s = keys.get(key);
        return s == null ? null : read(s.handle);
    }

    void put(String key, byte[] value) {
        Slot s = keys.get(key);
        if (s == null) {
            s = new Slot();
            s.keyBytes = key.getBytes(StandardCharsets.UTF_8).length;
            keys.put(key, s);
            dataBytes += 8 + s.keyBytes;
        } else {
            dataBytes -= valueBytes(s.handle);
            free(s.handle);
        }
        s.handle = value == null ? NULL_VALUE : allocate(value);
        dataBytes += value == null ? 0 : value.length;
    }

    void remove(String key) {
        Slot s = keys.remove(key);
        if (s != null) {
            dataBytes -= 8 + s.keyBytes + valueBytes(s.handle);
            free(s.handle);
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
        keys.clear();
        slabs.clear();
        directBytes = 0;
        slabUsed = SLAB_BYTES;
        freeLists.clear();
        freeCounts.clear();
    }

    /** Every key with its value (copied out), in the map's order. */
    void forEach(BiConsumer<String, byte[]> action) {
        for (Map.Entry<String, Slot> e : keys.entrySet()) {
            action.accept(e.getKey(), read(e.getValue().handle));
        }
    }

    /** Bytes a snapshot needs for every key and value: (4 + key) + (4 + value) each. */
    long encodedBytes() {
        long n = 0;
        for (Map.Entry<String, Slot> e : keys.entrySet()) {
            n += 8 + e.getKey().getBytes(StandardCharsets.UTF_8).length;
            long h = e.getValue().handle;
            n += h == NULL_VALUE ? 0 : slabs.get((int) (h >>> 32)).getInt((int) h);
        }
        return n;
    }

    /** Writes every key and value as (length, bytes), length -1 for a null value, straight from the slabs. */
    void encodeTo(ByteBuffer out) {
        for (Map.Entry<String, Slot> e : keys.entrySet()) {
            byte[] k = e.getKey().getBytes(StandardCharsets.UTF_8);
            out.putInt(k.length).put(k);
            long h = e.getValue().handle;
            if (h == NULL_VALUE) {
                out.putInt(-1);
                continue;
            }
            ByteBuffer slab = slabs.get((int) (h >>> 32));
            int len = slab.getInt((int) h);
            out.putInt(len);
            out.put(out.position(), slab, (int) h + 4, len);
            out.position(out.position() + len);
        }
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

    private long allocate(byte[] value) {
        int c = sizeClass(value.length);
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
        slab.putInt(offset, value.length);
        slab.put(offset + 4, value, 0, value.length);
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
