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
