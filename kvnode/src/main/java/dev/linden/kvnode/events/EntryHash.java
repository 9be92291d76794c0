package dev.linden.kvnode.events;

import dev.linden.kvnode.raft.Entry;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * A 32-bit hash of a log entry's kind and bytes (its index and term are reported beside it). Two nodes that
 * applied different entries at one index show different hashes but for a chance of 2^-32 per comparison.
 * Eight bytes a step (a multiply and a rotate each), since it runs on the apply stage for every entry.
 */
public final class EntryHash {
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long K1 = 0x9E3779B97F4A7C15L;
    private static final long K2 = 0xC2B2AE3D27D4EB4FL;

    private EntryHash() {}

    public static int of(Entry e) {
        byte[] b = e.command();
        long h = K2 ^ e.kind().ordinal();
        if (b != null) {
            h = absorb(h, b, 0, b.length) ^ b.length;
        }
        h ^= h >>> 33; // final mix, so every input bit reaches the 32 bits kept
        h *= K1;
        h ^= h >>> 29;
        return (int) (h ^ (h >>> 32));
    }

    /**
     * {@code h} with the {@code length} bytes of {@code b} at {@code at} mixed in, eight a step (the state digest
     * of the KV data hashes its values the same way); no final mix.
     */
    public static long absorb(long h, byte[] b, int at, int length) {
        int i = at;
        int end = at + length;
        for (; i + 8 <= end; i += 8) {
            h = Long.rotateLeft(h ^ ((long) LONGS.get(b, i) * K1), 31) * K2;
        }
        long tail = 0;
        for (; i < end; i++) {
            tail = (tail << 8) | (b[i] & 0xff);
        }
        return Long.rotateLeft(h ^ (tail * K1), 31) * K2;
    }
}
