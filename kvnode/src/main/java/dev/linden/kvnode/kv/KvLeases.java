package dev.linden.kvnode.kv;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Leases, as etcd's: granted with a time-to-live, kept alive, revoked; the keys attached to one are deleted
 * with it. What replicas must agree on lives here, changed only by log entries: each lease's TTL and the
 * index of its last keep-alive. When one runs out is the leader's business (its own clock, see the service's
 * lease timer): it proposes a {@link KvOp#LEASE_EXPIRE} entry naming each lease with the keep-alive index it
 * judged by, and a lease kept alive since is not expired by it. A lease's id is the index of its grant.
 */
public final class KvLeases {
    /** Leases at once: a grant past it is refused. */
    public static final int MAX_LEASES = 10_000;

    public static final long MAX_TTL_MILLIS = 7L * 24 * 3600 * 1000;
    /** Leases one expiry entry names, at most. */
    public static final int MAX_EXPIRED_PER_ENTRY = 256;

    /** A lease as replicas agree on it: its TTL and the index of its grant or last keep-alive. */
    public record Lease(long ttlMillis, long refreshIndex) {}

    private final TreeMap<Long, Lease> leases = new TreeMap<>();
    /** The same, for the leader's lease timer on another thread. */
    private final Map<Long, Lease> published = new ConcurrentHashMap<>();

    private final ValueStore data;

    KvLeases(ValueStore data) {
        this.data = data;
    }

    Map<Long, Lease> published() {
        return Collections.unmodifiableMap(published);
    }

    boolean exists(long id) {
        return leases.containsKey(id);
    }

    int count() {
        return leases.size();
    }

    byte[] grant(long index, byte[] ttlText) {
        long ttl = number(ttlText);
        if (ttl < 1 || ttl > MAX_TTL_MILLIS) {
            return refused("a lease's TTL is 1 ms to " + MAX_TTL_MILLIS + " ms, not " + text(ttlText));
        }
        if (leases.size() >= MAX_LEASES) {
            return refused("too many leases: " + MAX_LEASES + " are held; revoke some");
        }
        set(index, new Lease(ttl, index));
        return ok(index);
    }

    byte[] keepAlive(long index, byte[] idText) {
        long id = number(idText);
        Lease l = leases.get(id);
        if (l == null) {
            return notFound(id);
        }
        set(id, new Lease(l.ttlMillis(), index));
        return ok(l.ttlMillis());
    }

    byte[] revoke(byte[] idText) {
        long id = number(idText);
        if (!leases.containsKey(id)) {
            return notFound(id);
        }
        return ok(drop(id));
    }

    /**
     * The leader's expiry: "id:refreshIndex,..." (each as the leader judged it); a lease kept alive since, or
     * gone, is left alone. Answers how many expired.
     */
    byte[] expire(byte[] spec) {
        String s = text(spec);
        List<long[]> named = new ArrayList<>();
        try {
            for (String part : s.split(",")) {
                int colon = part.indexOf(':');
                named.add(
                        new long[] {Long.parseLong(part.substring(0, colon)), Long.parseLong(part.substring(colon + 1))
                        });
            }
        } catch (RuntimeException e) {
            return refused("bad lease expiry entry '" + s + "'");
        }
        if (named.size() > MAX_EXPIRED_PER_ENTRY) {
            return refused("a lease expiry entry names at most " + MAX_EXPIRED_PER_ENTRY + " leases");
        }
        int expired = 0;
        for (long[] n : named) {
            Lease l = leases.get(n[0]);
            if (l != null && l.refreshIndex() == n[1]) {
                drop(n[0]);
                expired++;
            }
        }
        return ok(expired);
    }

    /** Deletes the lease and its keys; how many keys. */
    private long drop(long id) {
        List<String> keys = data.keysOf(id);
        for (String k : keys) {
            data.remove(k);
        }
        leases.remove(id);
        published.remove(id);
        return keys.size();
    }

    private void set(long id, Lease l) {
        leases.put(id, l);
        published.put(id, l);
    }

    /** Takes {@code restored} (a snapshot's table, see {@link #decode}) in place of these. */
    void install(Map<Long, Lease> restored) {
        clear();
        restored.forEach(this::set);
    }

    void clear() {
        leases.clear();
        published.clear();
    }

    /** Bytes {@link #encodeTo} writes. */
    int encodedBytes() {
        return 4 + 24 * leases.size();
    }

    void encodeTo(ByteBuffer b) {
        b.putInt(leases.size());
        leases.forEach((id, l) -> b.putLong(id).putLong(l.ttlMillis()).putLong(l.refreshIndex()));
    }

    /** A table as {@link #encodeTo} wrote it. */
    static Map<Long, Lease> decode(ByteBuffer b) {
        Map<Long, Lease> out = new TreeMap<>();
        int n = KvSnapshotBytes.count(b);
        for (int i = 0; i < n; i++) {
            long id = b.getLong();
            Lease l = new Lease(b.getLong(), b.getLong());
            if (id <= 0 || l.ttlMillis() < 1 || l.ttlMillis() > MAX_TTL_MILLIS || out.put(id, l) != null) {
                throw new IllegalArgumentException("KV snapshot has a bad lease " + id + " " + l);
            }
        }
        return out;
    }

    /** An order-independent digest of the lease table. */
    long digest() {
        long sum = 0;
        for (Map.Entry<Long, Lease> e : leases.entrySet()) {
            sum += StateDigest.mix((e.getKey() * 31 + e.getValue().ttlMillis()) * 31
                    + e.getValue().refreshIndex());
        }
        return StateDigest.mix(sum + leases.size());
    }

    private static long number(byte[] text) {
        try {
            return Long.parseLong(text(text));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static String text(byte[] b) {
        return b == null ? "" : new String(b, StandardCharsets.UTF_8);
    }

    private static byte[] ok(long n) {
        return KvStateMachine.result(KvResult.Status.OK, String.valueOf(n).getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] notFound(long id) {
        return new KvResult(KvResult.Status.NOT_FOUND, "lease " + id + " not found").encode();
    }

    private static byte[] refused(String why) {
        return new KvResult(KvResult.Status.MALFORMED, why).encode();
    }
}
