package dev.linden.kvnode.kv;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

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

    /** Bytes a snapshot takes for the data ((4 + key) + (4 + value) each), kept up to date (read for quotas). */
    private long dataBytes;

    ValueStore() {
        this(Long.MAX_VALUE);
    }

    ValueStore(long maxDirectBytes) {
        this.slabs = new Slabs(maxDirectBytes);
    }

    /** Where the values' bytes are. */
    private final Slabs slabs;

    private final HashMap<String, KeySlot> keys = new HashMap<>();
    /** Where puts and deletes are recorded for watches, or null. */
    private KvHistory history;

    void recordInto(KvHistory h) {
        history = h;
    }

    /** The keys attached to each lease (in key order, so a lease's keys go in one order everywhere). */
    private final HashMap<Long, TreeSet<String>> leaseKeys = new HashMap<>();
    /** Sum over keys attached to a lease of a hash of both: the leases' part of {@link #digest()}. */
    private long leaseDigestSum;

    /** The same slots in key order (by code point, as UTF-8 bytes sort): changed only when a key comes or goes. */
    private final TreeMap<String, KeySlot> ordered = new TreeMap<>(KeyOrder.INSTANCE);

    int size() {
        return keys.size();
    }

    byte[] get(String key) {
        KeySlot s = keys.get(key);
        return s == null ? null : slabs.read(s.handle);
    }

    void put(String key, byte[] value) {
        put(key, value, 0, value == null ? -1 : value.length);
    }

    /** Puts the {@code length} bytes of {@code src} at {@code at} (a length below 0 for a null value). */
    void put(String key, byte[] src, int at, int length) {
        long rev = writeRevision();
        KeySlot s = keys.get(key);
        byte[] prev = history != null && s != null ? slabs.read(s.handle) : null;
        if (s == null) {
            s = new KeySlot();
            s.keyBytes = key.getBytes(StandardCharsets.UTF_8).length;
            s.createRevision = rev;
            keys.put(key, s);
            ordered.put(key, s);
            dataBytes += 8 + s.keyBytes;
        } else {
            dataBytes -= slabs.valueBytes(s.handle);
            digestSum -= s.hash;
            slabs.free(s.handle);
        }
        s.handle = length < 0 ? NULL_VALUE : slabs.allocate(src, at, length);
        s.modRevision = rev;
        s.version++;
        s.hash = StateDigest.of(key, src, at, length, s.createRevision, rev, s.version);
        digestSum += s.hash;
        dataBytes += Math.max(0, length);
        if (history != null) {
            byte[] v = length < 0 ? null : Arrays.copyOfRange(src, at, at + length);
            history.record(new KvEvent(KvEvent.Type.PUT, rev, key, v, s.createRevision, rev, s.version, prev));
        }
    }

    /** Removes the key; true if it was there. */
    boolean remove(String key) {
        KeySlot s = keys.remove(key);
        if (s == null) {
            return false;
        }
        long rev = writeRevision();
        if (history != null) {
            history.record(new KvEvent(KvEvent.Type.DELETE, rev, key, null, 0, 0, 0, slabs.read(s.handle)));
        }
        ordered.remove(key);
        attachment(key, s, 0);
        dataBytes -= 8 + s.keyBytes + slabs.valueBytes(s.handle);
        digestSum -= s.hash;
        slabs.free(s.handle);
        return true;
    }

    /** Attaches an existing key to {@code lease} (0: to none), leaving its value and revisions as they are. */
    void attach(String key, long lease) {
        KeySlot s = keys.get(key);
        if (s == null) {
            throw new IllegalStateException("attaching " + key + ", which is absent, to lease " + lease);
        }
        attachment(key, s, lease);
    }

    private void attachment(String key, KeySlot s, long lease) {
        if (s.lease == lease) {
            return;
        }
        if (s.lease != 0) {
            TreeSet<String> held = leaseKeys.get(s.lease);
            held.remove(key);
            if (held.isEmpty()) {
                leaseKeys.remove(s.lease);
            }
            leaseDigestSum -= StateDigest.mix(s.lease * 31 + key.hashCode());
        }
        s.lease = lease;
        if (lease != 0) {
            leaseKeys
                    .computeIfAbsent(lease, l -> new TreeSet<>(KeyOrder.INSTANCE))
                    .add(key);
            leaseDigestSum += StateDigest.mix(lease * 31 + key.hashCode());
        }
    }

    /** The keys attached to {@code lease}, in key order (a copy). */
    List<String> keysOf(long lease) {
        TreeSet<String> held = leaseKeys.get(lease);
        return held == null ? List.of() : new ArrayList<>(held);
    }

    /** Whether any key is attached to a lease (a put, which detaches its key, looks only then). */
    boolean hasLeases() {
        return !leaseKeys.isEmpty();
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
        return slabs.read(s.handle);
    }

    /** Bytes of a slot's value (0 for null). */
    int valueLength(KeySlot s) {
        return slabs.valueBytes(s.handle);
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
    void restore(String key, byte[] value, long createRevision, long modRevision, long version, long lease) {
        entryRevision = Math.max(1, modRevision);
        KvHistory recording = history;
        history = null; // a restored key is no event: the history starts at the snapshot
        put(key, value, 0, value == null ? -1 : value.length);
        history = recording;
        entryRevision = 0;
        entryWrote = false;
        KeySlot s = keys.get(key);
        digestSum -= s.hash;
        s.createRevision = createRevision;
        s.modRevision = modRevision;
        s.version = version;
        s.hash = StateDigest.of(key, value, 0, value == null ? -1 : value.length, createRevision, modRevision, version);
        digestSum += s.hash;
        attachment(key, s, lease);
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
        return StateDigest.mix(digestSum + keys.size() + 31 * leaseDigestSum);
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
        long[] revs = new long[FrozenValues.LONGS_PER_KEY * n];
        int i = 0;
        for (Map.Entry<String, KeySlot> e : ordered.entrySet()) {
            KeySlot s = e.getValue();
            k[i] = e.getKey();
            h[i] = s.handle;
            int at = FrozenValues.LONGS_PER_KEY * i++;
            revs[at] = s.createRevision;
            revs[at + 1] = s.modRevision;
            revs[at + 2] = s.version;
            revs[at + 3] = s.lease;
        }
        return new FrozenValues(k, h, revs, slabs.freeze(), dataBytes, revision);
    }

    /** The view is done with: once no view is out, the slots freed meanwhile are reused. */
    void release(FrozenValues view) {
        view.markReleased();
        slabs.release();
    }

    /** Bytes of keys and values (as a snapshot encodes them): what a storage quota counts. */
    long dataBytes() {
        return dataBytes;
    }

    void clear() {
        dataBytes = 0;
        digestSum = 0;
        keys.clear();
        ordered.clear();
        leaseKeys.clear();
        leaseDigestSum = 0;
        revision = 0;
        slabs.clear();
    }

    /** Bytes of direct slabs held (tests). */
    long directBytes() {
        return slabs.directBytes();
    }

    /** Slabs held, direct and heap (tests). */
    int slabCount() {
        return slabs.slabCount();
    }
}
