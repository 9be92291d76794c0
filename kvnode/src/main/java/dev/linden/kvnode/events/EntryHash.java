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
            int i = 0;
            for (; i + 8 <= b.length; i += 8) {
                h = Long.rotateLeft(h ^ ((long) LONGS.get(b, i) * K1), 31) * K2;
            }
            long tail = 0;
            for (; i < b.length; i++) {
                tail = (tail << 8) | (b[i] & 0xff);
            }
            h = Long.rotateLeft(h ^ (tail * K1), 31) * K2;
            h ^= b.length;
        }
        h ^= h >>> 33; // final mix, so every input bit reaches the 32 bits kept
        h *= K1;
        h ^= h >>> 29;
        return (int) (h ^ (h >>> 32));
    }
}
