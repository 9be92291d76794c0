package dev.linden.kvnode.kv;

import dev.linden.kvnode.node.StateMachine;
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
 */
public final class KvStateMachine implements StateMachine {
    public static final int DEFAULT_MAX_SESSIONS = 100_000;
    public static final int DEFAULT_MAX_RESULTS_PER_SESSION = 4096;

    private final Map<String, String> data = new HashMap<>();
    /** Sorted map: eviction order and any iteration are deterministic. */
    private final TreeMap<Long, Session> sessions = new TreeMap<>();
    private final int maxSessions;
    private final int maxResultsPerSession;
    private long lastAppliedIndex;

    private static final class Session {
        long ackedSeq;
        long lastActiveIndex;
        final TreeMap<Long, KvResult> results = new TreeMap<>();
    }

    public KvStateMachine() {
        this(DEFAULT_MAX_SESSIONS, DEFAULT_MAX_RESULTS_PER_SESSION);
    }

    public KvStateMachine(int maxSessions, int maxResultsPerSession) {
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
        KvCommand cmd;
        try {
            cmd = KvCommand.decode(command);
        } catch (RuntimeException e) {
            // A command that cannot be decoded is refused the same way on every replica.
            return new KvResult(KvResult.Status.MALFORMED, e.getMessage()).encode();
        }
        return applyCommand(index, cmd).encode();
    }

    public KvResult applyCommand(long index, KvCommand cmd) {
        if (cmd.clientId() == 0) {
            return execute(cmd);
        }
        Session s = sessions.get(cmd.clientId());
        if (s == null) {
            if (cmd.ackedSeq() > 0) {
                // The client had a session that was evicted: its retries must not run again.
                return new KvResult(KvResult.Status.SESSION_EXPIRED, null);
            }
            if (sessions.size() >= maxSessions) {
                evictLeastRecentlyUsed();
            }
            s = new Session();
            sessions.put(cmd.clientId(), s);
        }
        s.lastActiveIndex = index;
        KvResult result;
        if (cmd.seq() <= s.ackedSeq) {
            result = new KvResult(KvResult.Status.SESSION_EXPIRED, null);
        } else {
            KvResult cached = s.results.get(cmd.seq());
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
        s.results.headMap(s.ackedSeq, true).clear();
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
    }

    private KvResult execute(KvCommand cmd) {
        String key = cmd.key();
        switch (cmd.op()) {
            case GET:
                return KvResult.ok(data.get(key));
            case PUT:
                data.put(key, cmd.value());
                return KvResult.ok(cmd.value());
            case DELETE:
                data.remove(key);
                return KvResult.ok(null);
            case CAS: {
                String current = data.get(key);
                if (java.util.Objects.equals(current, cmd.expected())) {
                    if (cmd.value() == null) {
                        data.remove(key);
                    } else {
                        data.put(key, cmd.value());
                    }
                    return KvResult.ok(cmd.value());
                }
                return new KvResult(KvResult.Status.CAS_MISMATCH, current);
            }
            case APPEND: {
                String next = data.getOrDefault(key, "") + (cmd.value() == null ? "" : cmd.value());
                data.put(key, next);
                return KvResult.ok(next);
            }
            default:
                throw new IllegalStateException("unhandled op " + cmd.op());
        }
    }

    /** Read-only query: the encoded command must be a GET. */
    @Override
    public byte[] query(byte[] query) {
        KvCommand cmd = KvCommand.decode(query);
        if (cmd.op() != KvOp.GET) {
            throw new IllegalArgumentException("only GET can be served as a read-only query");
        }
        return KvResult.ok(data.get(cmd.key())).encode();
    }

    private static final int SNAPSHOT_MAGIC = 0x4C4E4B56; // "LNKV"
    private static final int SNAPSHOT_VERSION = 1;

    /**
     * The whole state: data, sessions with their cached results, and the last applied index; ends with a
     * CRC32C of everything before it so a damaged snapshot is refused, never loaded.
     */
    @Override
    public byte[] snapshot() {
        try {
            var bytes = new java.io.ByteArrayOutputStream(64 + data.size() * 64);
            var out = new java.io.DataOutputStream(bytes);
            out.writeInt(SNAPSHOT_MAGIC);
            out.writeInt(SNAPSHOT_VERSION);
            out.writeLong(lastAppliedIndex);
            out.writeInt(data.size());
            for (Map.Entry<String, String> e : data.entrySet()) {
                writeString(out, e.getKey());
                writeString(out, e.getValue());
            }
            out.writeInt(sessions.size());
            for (Map.Entry<Long, Session> e : sessions.entrySet()) {
                Session sn = e.getValue();
                out.writeLong(e.getKey());
                out.writeLong(sn.ackedSeq);
                out.writeLong(sn.lastActiveIndex);
                out.writeInt(sn.results.size());
                for (Map.Entry<Long, KvResult> r : sn.results.entrySet()) {
                    out.writeLong(r.getKey());
                    byte[] enc = r.getValue().encode();
                    out.writeInt(enc.length);
                    out.write(enc);
                }
            }
            out.flush();
            java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
            byte[] body = bytes.toByteArray();
            crc.update(body, 0, body.length);
            byte[] withCrc = java.util.Arrays.copyOf(body, body.length + 4);
            java.nio.ByteBuffer.wrap(withCrc, body.length, 4).putInt((int) crc.getValue());
            return withCrc;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e); // cannot happen writing to memory
        }
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
            if (in.getInt() != SNAPSHOT_MAGIC || in.getInt() != SNAPSHOT_VERSION) {
                throw new IllegalArgumentException("not a KV snapshot (bad magic or version)");
            }
            long applied = in.getLong();
            if (applied > index) {
                // Its last command may be followed by no-op entries, which never reach the state machine.
                throw new IllegalArgumentException("KV snapshot holds index " + applied + ", beyond " + index);
            }
            Map<String, String> newData = new HashMap<>();
            int n = count(in);
            for (int i = 0; i < n; i++) {
                newData.put(readString(in), readString(in));
            }
            TreeMap<Long, Session> newSessions = new TreeMap<>();
            int ns = count(in);
            for (int i = 0; i < ns; i++) {
                long clientId = in.getLong();
                Session sn = new Session();
                sn.ackedSeq = in.getLong();
                sn.lastActiveIndex = in.getLong();
                int nr = count(in);
                for (int j = 0; j < nr; j++) {
                    long seq = in.getLong();
                    byte[] enc = new byte[count(in)];
                    in.get(enc);
                    sn.results.put(seq, KvResult.decode(enc));
                }
                newSessions.put(clientId, sn);
            }
            if (in.hasRemaining()) {
                throw new IllegalArgumentException("KV snapshot has " + in.remaining() + " trailing bytes");
            }
            data.clear();
            data.putAll(newData);
            sessions.clear();
            sessions.putAll(newSessions);
            lastAppliedIndex = index;
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

    private static void writeString(java.io.DataOutputStream out, String v) throws java.io.IOException {
        if (v == null) {
            out.writeInt(-1);
            return;
        }
        byte[] b = v.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static String readString(java.nio.ByteBuffer in) {
        int n = in.getInt();
        if (n == -1) {
            return null;
        }
        if (n < 0 || n > in.remaining()) {
            throw new IllegalArgumentException("KV snapshot has a bad string length " + n);
        }
        String v = new String(in.array(), in.arrayOffset() + in.position(), n, java.nio.charset.StandardCharsets.UTF_8);
        in.position(in.position() + n);
        return v;
    }

    public String get(String key) {
        return data.get(key);
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
        for (Map.Entry<String, String> e : new TreeMap<>(data).entrySet()) {
            h = 31 * h + e.getKey().hashCode();
            h = 31 * h + (e.getValue() == null ? 0 : e.getValue().hashCode());
        }
        return h;
    }
}
