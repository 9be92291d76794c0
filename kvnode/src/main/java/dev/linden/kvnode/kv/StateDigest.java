package dev.linden.kvnode.kv;

import dev.linden.kvnode.events.EntryHash;

/**
 * 64-bit hashes of a key and its value, summed into a digest of the whole data that is kept up to date on every
 * write (see {@link ValueStore#digest()}), so a node reports its state's digest at each snapshot without walking
 * its data. Replicas that hold the same keys and values get equal sums, whatever order they wrote them in; ones
 * that differ get equal sums only by chance. A check of replicas, not a defence against crafted keys.
 */
final class StateDigest {
    private static final long K1 = 0x9E3779B97F4A7C15L;
    private static final long K2 = 0xC2B2AE3D27D4EB4FL;
    /** Stands for a null value, which differs from an empty one. */
    private static final long NULL_VALUE = 0x165667B19E3779F9L;

    private StateDigest() {}

    /** The hash of one key holding {@code value} (null allowed). */
    static long of(String key, byte[] value) {
        return of(key, value, 0, value == null ? -1 : value.length);
    }

    /** The hash of one key holding the {@code length} bytes of {@code src} at {@code at} (null if length < 0). */
    static long of(String key, byte[] src, int at, int length) {
        long h = K2 ^ key.length();
        for (int i = 0; i < key.length(); i++) {
            h = (h ^ key.charAt(i)) * K1;
        }
        h = mix(h);
        if (length < 0) {
            return mix(h ^ NULL_VALUE);
        }
        h = EntryHash.absorb(h, src, at, length);
        return mix(h ^ length);
    }

    /** The hash of one key and its value with the key's revisions (create, mod, version). */
    static long of(String key, byte[] src, int at, int length, long createRevision, long modRevision, long version) {
        long h = of(key, src, at, length);
        return mix(((h * K1 + createRevision) * K1 + modRevision) * K1 + version);
    }

    /** Spreads every input bit over the output (the finaliser of MurmurHash3's 64-bit variant). */
    static long mix(long h) {
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        h *= 0xC4CEB9FE1A85EC53L;
        return h ^ (h >>> 33);
    }
}
