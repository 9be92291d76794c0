package dev.linden.kvnode.kv;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.logging.Logger;

/**
 * The values' bytes for {@link ValueStore}: slabs of {@link ValueStore#SLAB_BYTES} with size-class free lists, a
 * value in one slot ({@code slab << 32 | offset}, a 4-byte length then the bytes). Direct slabs stay within
 * {@code maxDirectBytes}; past it, new ones are on the heap. While frozen views are out, freed slots are set
 * aside, and reused once the last view is released. Single-threaded (the apply stage).
 */
final class Slabs {
    private static final int SMALL_STEP = 64;
    private static final int SMALL_MAX = 4096;
    private static final int SLAB_BYTES = ValueStore.SLAB_BYTES;
    private static final long NULL_VALUE = ValueStore.NULL_VALUE;

    private final long maxDirectBytes;
    /** Bytes of direct slabs held: at most maxDirectBytes. */
    private long directBytes;
    /** Heap slabs made since the direct budget was reached (logged once per store). */
    private int heapSlabs;

    private final ArrayList<ByteBuffer> slabs = new ArrayList<>();
    private int slabUsed = SLAB_BYTES; // forces a first slab
    /** Free handles per size class. */
    private final ArrayList<long[]> freeLists = new ArrayList<>();

    private final ArrayList<Integer> freeCounts = new ArrayList<>();

    /** Views not yet released: while there are any, freed slots are set aside instead of reused. */
    private int frozenViews;
    /** Handles freed while a view was out: reused once the last view is released. */
    private long[] deferredFrees = new long[64];

    private int deferredCount;

    Slabs(long maxDirectBytes) {
        if (maxDirectBytes < 0) {
            throw new IllegalArgumentException("values' direct memory must be >= 0");
        }
        this.maxDirectBytes = maxDirectBytes;
    }

    /** A view begins: the slabs as they are, and no slot freed from now on is reused until {@link #release}. */
    ByteBuffer[] freeze() {
        frozenViews++;
        return slabs.toArray(new ByteBuffer[0]);
    }

    void release() {
        if (--frozenViews > 0) {
            return;
        }
        int n = deferredCount;
        deferredCount = 0;
        for (int i = 0; i < n; i++) {
            free(deferredFrees[i]);
        }
    }

    int valueBytes(long handle) {
        return handle == NULL_VALUE ? 0 : slabs.get((int) (handle >>> 32)).getInt((int) handle);
    }

    void clear() {
        deferredCount = 0; // handles into the slabs dropped here; a view out keeps its own references to them
        slabs.clear();
        directBytes = 0;
        slabUsed = SLAB_BYTES;
        freeLists.clear();
        freeCounts.clear();
    }

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

    long allocate(byte[] src, int at, int length) {
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

    byte[] read(long handle) {
        if (handle == NULL_VALUE) {
            return null;
        }
        ByteBuffer slab = slabs.get((int) (handle >>> 32));
        int offset = (int) handle;
        byte[] v = new byte[slab.getInt(offset)];
        slab.get(offset + 4, v, 0, v.length);
        return v;
    }

    void free(long handle) {
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
