package dev.linden.kvnode.events;

import dev.linden.kvnode.raft.Entry;

/**
 * A 32-bit hash of a log entry's kind and bytes (its index and term are reported beside it). Two nodes that
 * applied different entries at one index show different hashes but for a chance of 2^-32 per comparison.
 */
public final class EntryHash {
    private EntryHash() {}

    public static int of(Entry e) {
        int h = 0x9747b28c ^ e.kind().ordinal();
        byte[] b = e.command();
        if (b != null) {
            for (byte x : b) {
                h = (h ^ (x & 0xff)) * 0x01000193; // FNV-1a
            }
            h ^= b.length;
        }
        h ^= h >>> 16; // final mix, so short commands spread over all bits
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        return h;
    }
}
