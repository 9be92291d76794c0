package dev.linden.kvnode.kv;

import dev.linden.kvnode.node.StateMachine;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The key-value state machine: get, put, delete, compare-and-set and append, with client sessions
 * that make retried commands exactly-once.
 *
 * <p>A session keeps the results of commands with seq above the client's acknowledged seq, at most
 * {@code maxResultsPerSession}; when that cache must drop a result, the acknowledged seq is raised past
 * it so a late retry of it answers {@link KvResult.Status#SESSION_EXPIRED} instead of running twice.
 * At most {@code maxSessions} sessions live; the least recently used one is evicted.
 *
 * <p>Sessions also expire through the log: an {@link KvOp#EXPIRE_SESSIONS} entry proposed by the leader
 * carries its time and a time-to-live; the log's clock is the largest time such entries carried (so it
 * never goes back when leaders change), each session remembers the log's clock at its last command, and
 * the entry drops the sessions idle for longer than the time-to-live, on every replica at the same index.
 * An expired or evicted session leaves a tombstone (at most {@code maxSessions}, dropped after ten
 * time-to-lives), so a late retry of its first command answers SESSION_EXPIRED instead of creating the
 * session again and running twice.
 */
public final class KvStateMachine implements StateMachine {
    public static final int DEFAULT_MAX_SESSIONS = 100_000;
    public static final int DEFAULT_MAX_RESULTS_PER_SESSION = 4096;

    /** Values as the UTF-8 bytes clients sent (off the heap): no decoding on apply, no encoding on reads. */
    private final ValueStore data;
    /** Sorted map: eviction order and any iteration are deterministic. */
    private final TreeMap<Long, Session> sessions = new TreeMap<>();
    private final int maxSessions;
    private final int maxResultsPerSession;
    private long lastAppliedIndex;
    /** The log's clock: the largest time an expiry entry carried. */
    private long logTimeMillis;
    /** Sessions that expired or were evicted, with the log's clock then (insertion order: oldest first). */
    private final java.util.LinkedHashMap<Long, Long> tombstones = new java.util.LinkedHashMap<>();
    private long sessionsExpired;
    /** Bytes of keys and values, published by the apply stage for quota checks on other threads. */
    private volatile long storedBytes;

    private static final byte[] OK_EMPTY = new KvResult(KvResult.Status.OK, null).encode();
    private static final byte[] EXPIRED = new KvResult(KvResult.Status.SESSION_EXPIRED, null).encode();

    private static final class Session {
        long ackedSeq;
        long lastActiveIndex;
        /** The log's clock at the session's last command. */
        long lastActiveMillis;
        /** Encoded results by seq (never mutated once stored). */
        final TreeMap<Long, byte[]> results = new TreeMap<>();
    }

    /** A command decoded for apply: the key as a string (a map key), value and expected as raw bytes. */
    private record Parsed(KvOp op, long clientId, long seq, long ackedSeq, String key, byte[] value, byte[] expected) {
        static Parsed of(byte[] command) {
            String problem = KvCommand.validate(command);
            if (problem != null) {
                throw new IllegalArgumentException(problem);
            }
            ByteBuffer b = ByteBuffer.wrap(command);
            KvOp op = KvOp.fromCode(b.get());
            long clientId = b.getLong();
            long seq = b.getLong();
            long acked = b.getLong();
            int keyLen = b.getInt();
            String key = new String(command, b.position(), keyLen, StandardCharsets.UTF_8);
            b.position(b.position() + keyLen);
            return new Parsed(op, clientId, seq, acked, key, bytes(b), bytes(b));
        }

        private static byte[] bytes(ByteBuffer b) {
            int len = b.getInt();
            if (len < 0) {
                return null;
            }
            byte[] v = new byte[len];
            b.get(v);
            return v;
        }
    }

    public KvStateMachine() {
        this(DEFAULT_MAX_SESSIONS, DEFAULT_MAX_RESULTS_PER_SESSION);
    }

    public KvStateMachine(int maxSessions, int maxResultsPerSession) {
        this(maxSessions, maxResultsPerSession, Long.MAX_VALUE);
    }

    /** @param maxValuesDirectBytes  direct memory the values' slabs may hold (more go on the heap) */
    public KvStateMachine(long maxValuesDirectBytes) {
        this(DEFAULT_MAX_SESSIONS, DEFAULT_MAX_RESULTS_PER_SESSION, maxValuesDirectBytes);
    }

    private KvStateMachine(int maxSessions, int maxResultsPerSession, long maxValuesDirectBytes) {
        this.data = new ValueStore(maxValuesDirectBytes);
        if (maxSessions < 1 || maxResultsPerSession < 1) {
            throw new IllegalArgumentException("session bounds must be >= 1");
        }
        this.maxSessions = maxSessions;
        this.maxResultsPerSession = maxResultsPerSession;
    }

    @Override
    public byte[] apply(long index, byte[] command) {
        if (index <= lastAppliedIndex) {
            throw new IllegalStateException("apply out of order: " + index + " after " + lastAppliedIndex);
        }
        lastAppliedIndex = index;
        Parsed cmd;
        try {
            cmd = Parsed.of(command);
        } catch (RuntimeException e) {
            // A command that cannot be decoded is refused the same way on every replica.
            return new KvResult(KvResult.Status.MALFORMED, e.getMessage()).encode();
        }
        return applyParsed(index, cmd);
    }

    /** Applies a command given as an object (tests): the same path as the encoded one. */
    public KvResult applyCommand(long index, KvCommand cmd) {
        return KvResult.decode(apply(index, cmd.encode()));
    }

    private byte[] applyParsed(long index, Parsed cmd) {
        byte[] result = applySession(index, cmd);
        storedBytes = data.dataBytes();
        return result;
    }

    /**
     * Bytes of keys and values stored (as a snapshot counts them). Quotas are enforced where writes enter
     * (the leader's service, before proposing), never here: every replica must apply every committed
     * command the same way, so an apply that refused for lack of space would make replicas diverge.
     */
    public long storedBytes() {
        return storedBytes;
    }

    /** Planted bug for the simulator's canaries: every command runs, retries included (no exactly-once). */
    private boolean noDedupForTests;

    /** A state machine with the planted bug "no deduplication": only for the simulator's canaries. */
    public static KvStateMachine withoutDeduplicationForTests() {
        KvStateMachine kv = new KvStateMachine();
        kv.noDedupForTests = true;
        return kv;
    }

    private byte[] applySession(long index, Parsed cmd) {
        if (cmd.clientId() == 0 || noDedupForTests) {
            return execute(cmd);
        }
        Session s = sessions.get(cmd.clientId());
        if (s == null) {
            if (cmd.ackedSeq() > 0 || tombstones.containsKey(cmd.clientId())) {
                // The client had a session that expired or was evicted: its retries must not run again.
                return EXPIRED;
            }
            if (sessions.size() >= maxSessions) {
                evictLeastRecentlyUsed();
            }
            s = new Session();
            sessions.put(cmd.clientId(), s);
        }
        s.lastActiveIndex = index;
        s.lastActiveMillis = logTimeMillis;
        byte[] result;
        if (cmd.seq() <= s.ackedSeq) {
            result = EXPIRED;
        } else {
            byte[] cached = s.results.get(cmd.seq());
            if (cached != null) {
                result = cached;
            } else {
                result = execute(cmd);
                s.results.put(cmd.seq(), result);
                while (s.results.size() > maxResultsPerSession) {
                    s.ackedSeq = Math.max(s.ackedSeq, s.results.pollFirstEntry().getKey());
                }
            }
        }
        if (cmd.ackedSeq() > s.ackedSeq) {
            s.ackedSeq = cmd.ackedSeq();
        }
        if (!s.results.isEmpty() && s.results.firstKey() <= s.ackedSeq) {
            s.results.headMap(s.ackedSeq, true).clear();
        }
        return result;
    }

    private void evictLeastRecentlyUsed() {
        Long victim = null;
        long oldest = Long.MAX_VALUE;
        for (Map.Entry<Long, Session> e : sessions.entrySet()) {
            if (e.getValue().lastActiveIndex < oldest) {
                oldest = e.getValue().lastActiveIndex;
                victim = e.getKey();
            }
        }
        sessions.remove(victim);
        tombstone(victim);
    }

    private void tombstone(long clientId) {
        tombstones.remove(clientId);
        tombstones.put(clientId, logTimeMillis);
        while (tombstones.size() > maxSessions) {
            Long oldest = tombstones.keySet().iterator().next();
            tombstones.remove(oldest);
        }
    }

    /** An expiry entry: advance the log's clock, drop idle sessions and old tombstones; answers how many expired. */
    private byte[] expireSessions(byte[] value) {
        String v = value == null ? "" : new String(value, StandardCharsets.UTF_8);
        int colon = v.indexOf(':');
        long now;
        long ttl;
        try {
            now = Long.parseLong(v.substring(0, colon));
            ttl = Long.parseLong(v.substring(colon + 1));
        } catch (RuntimeException e) {
            return new KvResult(KvResult.Status.MALFORMED, "bad expiry entry '" + v + "'").encode();
        }
        if (ttl < 1) {
            return new KvResult(KvResult.Status.MALFORMED, "bad expiry ttl " + ttl).encode();
        }
        logTimeMillis = Math.max(logTimeMillis, now);
        long cutoff = logTimeMillis - ttl;
        int expired = 0;
        for (java.util.Iterator<Map.Entry<Long, Session>> it = sessions.entrySet().iterator(); it.hasNext();) {
            Map.Entry<Long, Session> e = it.next();
            if (e.getValue().lastActiveMillis < cutoff) {
                it.remove();
                tombstone(e.getKey());
                expired++;
            }
        }
        long keepAfter = logTimeMillis - 10 * ttl;
        tombstones.values().removeIf(at -> at < keepAfter);
        sessionsExpired += expired;
        return result(KvResult.Status.OK, String.valueOf(expired).getBytes(StandardCharsets.UTF_8));
    }

    /** Sessions expired through the log so far, and the log's clock (for tests and evidence). */
    public long sessionsExpired() {
        return sessionsExpired;
    }

    public long logTimeMillis() {
        return logTimeMillis;
    }

    private static byte[] result(KvResult.Status status, byte[] value) {
        if (status == KvResult.Status.OK && value == null) {
            return OK_EMPTY;
        }
        ByteBuffer b = ByteBuffer.allocate(1 + 4 + (value == null ? 0 : value.length));
        b.put((byte) status.ordinal());
        KvCommand.putBytes(b, value);
        return b.array();
    }

    private byte[] execute(Parsed cmd) {
        String key = cmd.key();
        switch (cmd.op()) {
            case GET:
                return result(KvResult.Status.OK, data.get(key));
            case PUT:
                data.put(key, cmd.value());
                return OK_EMPTY; // the writer knows what it wrote
            case DELETE:
                data.remove(key);
                return OK_EMPTY;
            case CAS: {
                byte[] current = data.get(key);
                if (Arrays.equals(current, cmd.expected())) {
                    if (cmd.value() == null) {
                        data.remove(key);
                    } else {
                        data.put(key, cmd.value());
                    }
                    return result(KvResult.Status.OK, cmd.value());
                }
                return result(KvResult.Status.CAS_MISMATCH, current);
            }
            case EXPIRE_SESSIONS:
                return expireSessions(cmd.value());
            case APPEND: {
                byte[] current = data.get(key);
                byte[] add = cmd.value() == null ? new byte[0] : cmd.value();
                byte[] next;
                if (current == null) {
                    next = add;
                } else {
                    next = Arrays.copyOf(current, current.length + add.length);
                    System.arraycopy(add, 0, next, current.length, add.length);
                }
                if (next.length > KvCommand.MAX_VALUE_BYTES) {
                    return new KvResult(KvResult.Status.MALFORMED, "value would exceed " + KvCommand.MAX_VALUE_BYTES
                            + " bytes").encode();
                }
                data.put(key, next);
                return result(KvResult.Status.OK, next);
            }
            default:
                throw new IllegalStateException("unhandled op " + cmd.op());
        }
    }

    /** Read-only query: the encoded command must be a GET. */
    @Override
    public byte[] query(byte[] query) {
        Parsed cmd = Parsed.of(query);
        if (cmd.op() != KvOp.GET) {
            throw new IllegalArgumentException("only GET can be served as a read-only query");
        }
        return result(KvResult.Status.OK, data.get(cmd.key()));
    }

    private static final int SNAPSHOT_MAGIC = 0x4C4E4B56; // "LNKV"
    /** 2: the log's clock, each session's last activity on it, and the tombstones; 1 is still read. */
    private static final int SNAPSHOT_VERSION = 2;

    /**
     * The whole state: data, sessions with their cached results, and the last applied index; ends with a
     * CRC32C of everything before it so a damaged snapshot is refused, never loaded.
     */
    @Override
    public byte[] snapshot() {
        // Sized first, then written into one array: a snapshot can be tens of megabytes, and every extra
        // copy is garbage the collector must move.
        long size = 4 + 4 + 8 + 8 + 4 + data.encodedBytes() + 4 + 4 + 16L * tombstones.size();
        for (Session sn : sessions.values()) {
            size += 8 + 8 + 8 + 8 + 4;
            for (byte[] r : sn.results.values()) {
                size += 8 + 4 + r.length;
            }
        }
        size += 4; // checksum
        if (size > dev.linden.kvnode.raft.Snapshot.MAX_BYTES) {
            throw new IllegalStateException("KV state of " + size + " bytes exceeds the snapshot limit");
        }
        byte[] out = new byte[(int) size];
        ByteBuffer b = ByteBuffer.wrap(out);
        b.putInt(SNAPSHOT_MAGIC).putInt(SNAPSHOT_VERSION).putLong(lastAppliedIndex).putLong(logTimeMillis)
                .putInt(data.size());
        data.encodeTo(b);
        b.putInt(sessions.size());
        for (Map.Entry<Long, Session> e : sessions.entrySet()) {
            Session sn = e.getValue();
            b.putLong(e.getKey()).putLong(sn.ackedSeq).putLong(sn.lastActiveIndex).putLong(sn.lastActiveMillis)
                    .putInt(sn.results.size());
            for (Map.Entry<Long, byte[]> r : sn.results.entrySet()) {
                b.putLong(r.getKey()).putInt(r.getValue().length).put(r.getValue());
            }
        }
        b.putInt(tombstones.size());
        for (Map.Entry<Long, Long> t : tombstones.entrySet()) {
            b.putLong(t.getKey()).putLong(t.getValue());
        }
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(out, 0, b.position());
        b.putInt((int) crc.getValue());
        if (b.hasRemaining()) {
            throw new IllegalStateException("KV snapshot sized " + size + " but wrote " + b.position());
        }
        return out;
    }

    @Override
    public void restore(long index, byte[] snapshot) {
        if (snapshot.length < 24) {
            throw new IllegalArgumentException("KV snapshot too short: " + snapshot.length + " bytes");
        }
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(snapshot, 0, snapshot.length - 4);
        if ((int) crc.getValue() != java.nio.ByteBuffer.wrap(snapshot, snapshot.length - 4, 4).getInt()) {
            throw new IllegalArgumentException("KV snapshot checksum mismatch");
        }
        java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(snapshot, 0, snapshot.length - 4);
        try {
            if (in.getInt() != SNAPSHOT_MAGIC) {
                throw new IllegalArgumentException("not a KV snapshot (bad magic)");
            }
            int version = in.getInt();
            if (version != 1 && version != 2) {
                throw new IllegalArgumentException("KV snapshot version " + version + " is not one this node reads");
            }
            long applied = in.getLong();
            long logTime = version >= 2 ? in.getLong() : 0;
            if (applied > index) {
                // Its last command may be followed by no-op entries, which never reach the state machine.
                throw new IllegalArgumentException("KV snapshot holds index " + applied + ", beyond " + index);
            }
            Map<String, byte[]> newData = new HashMap<>();
            int n = count(in);
            for (int i = 0; i < n; i++) {
                byte[] key = readBytes(in);
                if (key == null) {
                    throw new IllegalArgumentException("KV snapshot has a null key");
                }
                newData.put(new String(key, StandardCharsets.UTF_8), readBytes(in));
            }
            TreeMap<Long, Session> newSessions = new TreeMap<>();
            int ns = count(in);
            for (int i = 0; i < ns; i++) {
                long clientId = in.getLong();
                Session sn = new Session();
                sn.ackedSeq = in.getLong();
                sn.lastActiveIndex = in.getLong();
                sn.lastActiveMillis = version >= 2 ? in.getLong() : 0;
                int nr = count(in);
                for (int j = 0; j < nr; j++) {
                    long seq = in.getLong();
                    byte[] enc = readBytes(in);
                    KvResult.decode(enc); // refuse a garbled result now rather than send it to a client later
                    sn.results.put(seq, enc);
                }
                newSessions.put(clientId, sn);
            }
            java.util.LinkedHashMap<Long, Long> newTombstones = new java.util.LinkedHashMap<>();
            if (version >= 2) {
                int nt = count(in);
                for (int i = 0; i < nt; i++) {
                    newTombstones.put(in.getLong(), in.getLong());
                }
            }
            if (in.hasRemaining()) {
                throw new IllegalArgumentException("KV snapshot has " + in.remaining() + " trailing bytes");
            }
            data.clear();
            newData.forEach(data::put);
            sessions.clear();
            sessions.putAll(newSessions);
            tombstones.clear();
            tombstones.putAll(newTombstones);
            logTimeMillis = logTime;
            lastAppliedIndex = index;
            storedBytes = data.dataBytes();
        } catch (java.nio.BufferUnderflowException e) {
            throw new IllegalArgumentException("KV snapshot truncated", e);
        }
    }

    private static int count(java.nio.ByteBuffer in) {
        int n = in.getInt();
        if (n < 0 || n > in.remaining()) {
            throw new IllegalArgumentException("KV snapshot has a bad count " + n);
        }
        return n;
    }

    private static byte[] readBytes(java.nio.ByteBuffer in) {
        int n = in.getInt();
        if (n == -1) {
            return null;
        }
        if (n < 0 || n > in.remaining()) {
            throw new IllegalArgumentException("KV snapshot has a bad length " + n);
        }
        byte[] v = new byte[n];
        in.get(v);
        return v;
    }

    public String get(String key) {
        byte[] v = data.get(key);
        return v == null ? null : new String(v, StandardCharsets.UTF_8);
    }

    public int size() {
        return data.size();
    }

    public int sessionCount() {
        return sessions.size();
    }

    public long lastAppliedIndex() {
        return lastAppliedIndex;
    }

    /** A digest of the whole state, equal on replicas that applied the same commands. */
    public long digest() {
        long h = 1125899906842597L;
        TreeMap<String, byte[]> sorted = new TreeMap<>();
        data.forEach(sorted::put);
        for (Map.Entry<String, byte[]> e : sorted.entrySet()) {
            h = 31 * h + e.getKey().hashCode();
            h = 31 * h + (e.getValue() == null ? 0 : Arrays.hashCode(e.getValue()));
        }
        return h;
    }
}
