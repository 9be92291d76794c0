package dev.linden.kvnode.kv;

import dev.linden.kvnode.node.StateMachine;
import dev.linden.kvnode.raft.InvariantViolation;
import dev.linden.kvnode.raft.Snapshot;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.zip.CRC32C;

/**
 * The key-value state machine: get, put, delete, compare-and-set and append, with client sessions
 * that make retried commands exactly-once.
 *
 * <p>A session keeps the answers of commands with seq above the client's acknowledged seq, so a retry
 * gets the answer its first attempt got. That cache is bounded three ways, all decided at apply from the
 * log alone (so every replica, and every replay of the log, drops the same answers at the same index):
 * at most {@code maxResultsPerSession} answers and {@code maxAnswerBytesPerSession} bytes per session, and
 * {@code maxAnswerBytesTotal} bytes over all sessions (bytes counted as {@link #answerCostBytes}). Over a
 * session's bounds its lowest-seq answers go; over the total, the lowest-seq answer of the session holding
 * the most bytes goes (ties: the lowest client id), again until the total fits. A dropped answer raises its
 * session's acknowledged seq past it, so a late retry answers {@link KvResult.Status#SESSION_EXPIRED}
 * instead of running twice: the client learns its write's fate is unknown to the cluster, never a
 * different answer and never a second execution. The first attempt always gets its answer (apply returns
 * it before anything is dropped). At most {@code maxSessions} sessions live; the least recently used one
 * is evicted.
 *
 * <p>Why keep whole answers rather than a marker for large ones: a CAS mismatch or an APPEND answers the
 * current value, which a retry could only recompute from a later state, so it would get a different
 * answer than the first attempt did. The honest choices are the exact answer or SESSION_EXPIRED; the
 * byte bounds choose between them. A GET carrying a session is executed but never cached: it changes
 * nothing, so running it again is harmless (and clients send GETs as ReadIndex reads anyway).
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
    /** Bytes one cached answer costs beyond its encoding: map entry, boxed seq, array header (about). */
    public static final int ANSWER_OVERHEAD_BYTES = 64;
    /** The largest answer cost: a status, a length and a largest value (a CAS mismatch or an APPEND). */
    public static final int MAX_ANSWER_COST_BYTES = 1 + 4 + KvCommand.MAX_VALUE_BYTES + ANSWER_OVERHEAD_BYTES;
    /**
     * 4 MiB: room for the answers of a few largest-value commands in flight (a retry after a leader change
     * usually concerns the last few), or thousands of small ones; a client pipelining many large answers
     * sees its oldest ones dropped (retries of them answer SESSION_EXPIRED) instead of the node's heap
     * growing by a mebibyte per command.
     */
    public static final long DEFAULT_MAX_ANSWER_BYTES_PER_SESSION = 4L << 20;
    /**
     * 64 MiB over all sessions: a quarter of the default quota (256 MiB), and a quarter of the 256 MiB heap
     * the real-process tests give a node (`cluster start` gives 512 MiB), leaving the rest for requests
     * and answers in flight and snapshots. Cached answers count
     * against the quota with the data (see KvService), so this is also the most of the quota answers take.
     * A constant of the state machine, not a flag: replicas must drop the same answers at the same index,
     * so every replica has to run with the same bound (snapshots need not carry it).
     */
    public static final long DEFAULT_MAX_ANSWER_BYTES_TOTAL = 64L << 20;

    /** Values as the UTF-8 bytes clients sent (off the heap): no decoding on apply, no encoding on reads. */
    private final ValueStore data;
    /** Sorted map: eviction order and any iteration are deterministic. */
    private final TreeMap<Long, Session> sessions = new TreeMap<>();

    private final int maxSessions;
    private final int maxResultsPerSession;
    private final long maxAnswerBytesPerSession;
    private final long maxAnswerBytesTotal;
    /** Sum of every session's answerBytes; invariant: at most maxAnswerBytesTotal after each apply. */
    private long answerBytesTotal;
    /** Sessions holding answers, the most bytes first (ties: lowest client id): the total bound's victims. */
    private final TreeSet<Session> byAnswerBytes = new TreeSet<>(
            Comparator.comparingLong((Session x) -> -x.answerBytes).thenComparingLong(x -> x.clientId));
    /** answerBytesTotal, published for quota checks on other threads. */
    private volatile long answerBytesPublished;
    /** Answers dropped to keep the bounds (not acknowledged ones), for tests and evidence. */
    private long answersEvicted;

    private long lastAppliedIndex;
    /** The log's clock: the largest time an expiry entry carried. */
    private long logTimeMillis;
    /** Sessions that expired or were evicted, with the log's clock then (insertion order: oldest first). */
    private final LinkedHashMap<Long, Long> tombstones = new LinkedHashMap<>();

    private long sessionsExpired;
    /** Bytes of keys and values, published by the apply stage for quota checks on other threads. */
    private volatile long storedBytes;

    private static final byte[] OK_EMPTY = new KvResult(KvResult.Status.OK, null).encode();
    /** A retry of a command whose answer was acknowledged or dropped: it is not run again. */
    private static final byte[] EXPIRED = new KvResult(
                    KvResult.Status.SESSION_EXPIRED,
                    "the cluster no longer"
                            + " holds this command's answer (acknowledged, or dropped to keep the session's answers bounded)")
            .encode();
    /** A command of a session the cluster does not hold (expired, evicted, or never created). */
    private static final byte[] SESSION_GONE = new KvResult(
                    KvResult.Status.SESSION_EXPIRED,
                    "the cluster no" + " longer holds this client's session (expired or evicted)")
            .encode();

    private static final class Session {
        final long clientId;
        long ackedSeq;
        /** Sum of answerCostBytes over results: at most maxAnswerBytesPerSession after each apply. */
        long answerBytes;

        long lastActiveIndex;
        /** The log's clock at the session's last command. */
        long lastActiveMillis;
        /** Encoded results by seq (never mutated once stored). */
        final TreeMap<Long, byte[]> results = new TreeMap<>();

        Session(long clientId) {
            this.clientId = clientId;
        }
    }

    /**
     * A command decoded for apply: the key as a string (a map key), value and expected as raw bytes. Commands
     * are validated once, where they enter (the client port, {@link KvCommand#validate}, or built as a
     * {@link KvCommand}); apply only parses. Bytes that still do not parse (a malformed entry cannot reach the
     * log through the port) throw a RuntimeException, which apply turns into the same refusal on every replica.
     */
    private record Parsed(KvOp op, long clientId, long seq, long ackedSeq, String key, byte[] value, byte[] expected) {
        static Parsed of(byte[] command) {
            ByteBuffer b = ByteBuffer.wrap(command);
            KvOp op = KvOp.fromCode(b.get());
            long clientId = b.getLong();
            long seq = b.getLong();
            long acked = b.getLong();
            int keyLen = b.getInt();
            String key = new String(command, b.position(), keyLen, StandardCharsets.UTF_8);
            b.position(b.position() + keyLen);
            Parsed parsed = new Parsed(op, clientId, seq, acked, key, bytes(b), bytes(b));
            if (b.hasRemaining()) {
                throw new IllegalArgumentException("trailing bytes after KV command");
            }
            return parsed;
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
        this(maxSessions, maxResultsPerSession, DEFAULT_MAX_ANSWER_BYTES_PER_SESSION, DEFAULT_MAX_ANSWER_BYTES_TOTAL);
    }

    /** @param maxValuesDirectBytes  direct memory the values' slabs may hold (more go on the heap) */
    public KvStateMachine(long maxValuesDirectBytes) {
        this(
                DEFAULT_MAX_SESSIONS,
                DEFAULT_MAX_RESULTS_PER_SESSION,
                DEFAULT_MAX_ANSWER_BYTES_PER_SESSION,
                DEFAULT_MAX_ANSWER_BYTES_TOTAL,
                maxValuesDirectBytes);
    }

    /**
     * @param maxAnswerBytesPerSession at least {@link #MAX_ANSWER_COST_BYTES}, so a session keeps its newest answer
     * @param maxAnswerBytesTotal      at least maxAnswerBytesPerSession
     */
    public KvStateMachine(
            int maxSessions, int maxResultsPerSession, long maxAnswerBytesPerSession, long maxAnswerBytesTotal) {
        this(maxSessions, maxResultsPerSession, maxAnswerBytesPerSession, maxAnswerBytesTotal, Long.MAX_VALUE);
    }

    private KvStateMachine(
            int maxSessions,
            int maxResultsPerSession,
            long maxAnswerBytesPerSession,
            long maxAnswerBytesTotal,
            long maxValuesDirectBytes) {
        this.data = new ValueStore(maxValuesDirectBytes);
        if (maxSessions < 1 || maxResultsPerSession < 1) {
            throw new IllegalArgumentException("session bounds must be >= 1");
        }
        if (maxAnswerBytesPerSession < MAX_ANSWER_COST_BYTES || maxAnswerBytesTotal < maxAnswerBytesPerSession) {
            throw new IllegalArgumentException("answer bounds: per session >= " + MAX_ANSWER_COST_BYTES
                    + " bytes, total >= per session; got " + maxAnswerBytesPerSession + " and " + maxAnswerBytesTotal);
        }
        this.maxSessions = maxSessions;
        this.maxResultsPerSession = maxResultsPerSession;
        this.maxAnswerBytesPerSession = maxAnswerBytesPerSession;
        this.maxAnswerBytesTotal = maxAnswerBytesTotal;
    }

    @Override
    public byte[] apply(long index, byte[] command) {
        if (index <= lastAppliedIndex) {
            throw new InvariantViolation("apply out of order: " + index + " after " + lastAppliedIndex);
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
        checkAnswerBounds(index);
        answerBytesPublished = answerBytesTotal;
        return result;
    }

    /** Always on: a cache over its bounds is a bug here, and would be one on every replica at once. */
    private void checkAnswerBounds(long index) {
        if (answerBytesTotal < 0 || answerBytesTotal > maxAnswerBytesTotal) {
            throw new InvariantViolation("answer cache of " + answerBytesTotal + " bytes outside 0.."
                    + maxAnswerBytesTotal + " after index " + index);
        }
        if (!byAnswerBytes.isEmpty() && byAnswerBytes.first().answerBytes > maxAnswerBytesPerSession) {
            throw new InvariantViolation("session " + byAnswerBytes.first().clientId + " caches "
                    + byAnswerBytes.first().answerBytes + " answer bytes, over " + maxAnswerBytesPerSession);
        }
    }

    /** What one cached answer counts against the bounds and the quota. */
    static long answerCostBytes(byte[] answer) {
        return answer.length + (long) ANSWER_OVERHEAD_BYTES;
    }

    /** Bytes of answers cached for retries (published by the apply stage, read for quota checks). */
    public long answerBytes() {
        return answerBytesPublished;
    }

    /** Answers dropped to keep the byte or count bounds so far. */
    public long answersEvicted() {
        return answersEvicted;
    }

    /** Bytes of keys, values and cached answers: what the leader's quota check counts. */
    public long usedBytes() {
        return storedBytes + answerBytesPublished;
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
        if (cmd.clientId() == 0 || noDedupForTests || cmd.op() == KvOp.GET) {
            return execute(cmd);
        }
        Session s = sessions.get(cmd.clientId());
        if (s == null) {
            if (cmd.ackedSeq() > 0 || tombstones.containsKey(cmd.clientId())) {
                // The client had a session that expired or was evicted: its retries must not run again.
                return SESSION_GONE;
            }
            if (sessions.size() >= maxSessions) {
                evictLeastRecentlyUsed();
            }
            s = new Session(cmd.clientId());
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
                keepAnswer(s, cmd.seq(), result);
            }
        }
        if (cmd.ackedSeq() > s.ackedSeq) {
            s.ackedSeq = cmd.ackedSeq();
        }
        while (!s.results.isEmpty() && s.results.firstKey() <= s.ackedSeq) {
            dropOldestAnswer(s);
        }
        return result;
    }

    /** Caches an answer, then drops answers until the session's and the total bounds hold again. */
    private void keepAnswer(Session s, long seq, byte[] answer) {
        byAnswerBytes.remove(s);
        s.results.put(seq, answer);
        s.answerBytes += answerCostBytes(answer);
        answerBytesTotal += answerCostBytes(answer);
        byAnswerBytes.add(s);
        // Each pass drops one answer, so each loop ends within the session's (or all) answers.
        while (s.results.size() > maxResultsPerSession || s.answerBytes > maxAnswerBytesPerSession) {
            evictOldestAnswer(s);
        }
        while (answerBytesTotal > maxAnswerBytesTotal) {
            evictOldestAnswer(byAnswerBytes.first());
        }
    }

    /** Drops a session's lowest-seq answer to keep a bound, raising its acknowledged seq past it. */
    private void evictOldestAnswer(Session s) {
        long seq = dropOldestAnswer(s);
        s.ackedSeq = Math.max(s.ackedSeq, seq);
        answersEvicted++;
    }

    /** Drops a session's lowest-seq answer; returns its seq. */
    private long dropOldestAnswer(Session s) {
        byAnswerBytes.remove(s);
        Map.Entry<Long, byte[]> oldest = s.results.pollFirstEntry();
        s.answerBytes -= answerCostBytes(oldest.getValue());
        answerBytesTotal -= answerCostBytes(oldest.getValue());
        if (!s.results.isEmpty()) {
            byAnswerBytes.add(s);
        }
        return oldest.getKey();
    }

    /** Removes a session with its answers (expired or evicted). */
    private void dropSession(long clientId) {
        Session s = sessions.remove(clientId);
        byAnswerBytes.remove(s);
        answerBytesTotal -= s.answerBytes;
        tombstone(clientId);
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
        dropSession(victim);
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
        boolean clockStarts = logTimeMillis == 0;
        logTimeMillis = Math.max(logTimeMillis, now);
        if (clockStarts) {
            // Sessions and tombstones from before the log's clock started carry time 0, which is not "idle since
            // 1970": they count from this first expiry entry (the same on every replica). Else the first entry
            // expired every session opened in a new cluster's first seconds.
            for (Session sn : sessions.values()) {
                if (sn.lastActiveMillis == 0) {
                    sn.lastActiveMillis = logTimeMillis;
                }
            }
            tombstones.replaceAll((id, at) -> at == 0 ? logTimeMillis : at);
        }
        long cutoff = logTimeMillis - ttl;
        List<Long> idle = new ArrayList<>();
        for (Map.Entry<Long, Session> e : sessions.entrySet()) {
            if (e.getValue().lastActiveMillis < cutoff) {
                idle.add(e.getKey());
            }
        }
        for (long clientId : idle) {
            dropSession(clientId);
        }
        int expired = idle.size();
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
                    return new KvResult(
                                    KvResult.Status.MALFORMED,
                                    "value would exceed " + KvCommand.MAX_VALUE_BYTES + " bytes")
                            .encode();
                }
                data.put(key, next);
                return result(KvResult.Status.OK, next);
            }
            default:
                throw new InvariantViolation("unhandled op " + cmd.op());
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
        if (size > Snapshot.MAX_BYTES) {
            throw new IllegalStateException("KV state of " + size + " bytes exceeds the snapshot limit");
        }
        byte[] out = new byte[(int) size];
        ByteBuffer b = ByteBuffer.wrap(out);
        b.putInt(SNAPSHOT_MAGIC)
                .putInt(SNAPSHOT_VERSION)
                .putLong(lastAppliedIndex)
                .putLong(logTimeMillis)
                .putInt(data.size());
        data.encodeTo(b);
        b.putInt(sessions.size());
        for (Map.Entry<Long, Session> e : sessions.entrySet()) {
            Session sn = e.getValue();
            b.putLong(e.getKey())
                    .putLong(sn.ackedSeq)
                    .putLong(sn.lastActiveIndex)
                    .putLong(sn.lastActiveMillis)
                    .putInt(sn.results.size());
            for (Map.Entry<Long, byte[]> r : sn.results.entrySet()) {
                b.putLong(r.getKey()).putInt(r.getValue().length).put(r.getValue());
            }
        }
        b.putInt(tombstones.size());
        for (Map.Entry<Long, Long> t : tombstones.entrySet()) {
            b.putLong(t.getKey()).putLong(t.getValue());
        }
        CRC32C crc = new CRC32C();
        crc.update(out, 0, b.position());
        b.putInt((int) crc.getValue());
        if (b.hasRemaining()) {
            throw new InvariantViolation("KV snapshot sized " + size + " but wrote " + b.position());
        }
        return out;
    }

    @Override
    public void restore(long index, byte[] snapshot) {
        if (snapshot.length < 24) {
            throw new IllegalArgumentException("KV snapshot too short: " + snapshot.length + " bytes");
        }
        CRC32C crc = new CRC32C();
        crc.update(snapshot, 0, snapshot.length - 4);
        if ((int) crc.getValue()
                != ByteBuffer.wrap(snapshot, snapshot.length - 4, 4).getInt()) {
            throw new IllegalArgumentException("KV snapshot checksum mismatch");
        }
        ByteBuffer in = ByteBuffer.wrap(snapshot, 0, snapshot.length - 4);
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
                Session sn = new Session(clientId);
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
            LinkedHashMap<Long, Long> newTombstones = new LinkedHashMap<>();
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
            recountAnswers();
            answerBytesPublished = answerBytesTotal;
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("KV snapshot truncated", e);
        }
    }

    /**
     * Recomputes the answer byte counts from the restored answers (the snapshot need not carry them: they
     * follow from the answers and the constant bounds), then applies the bounds. A snapshot this code wrote
     * is within them already, so nothing is dropped and the restored replica decides as its peers do; one
     * written before the bounds existed is brought within them the same way on every replica that loads it.
     */
    private void recountAnswers() {
        byAnswerBytes.clear();
        answerBytesTotal = 0;
        for (Session sn : sessions.values()) {
            sn.answerBytes = 0;
            for (byte[] r : sn.results.values()) {
                sn.answerBytes += answerCostBytes(r);
            }
            answerBytesTotal += sn.answerBytes;
            if (!sn.results.isEmpty()) {
                byAnswerBytes.add(sn);
            }
        }
        for (Session sn : sessions.values()) {
            while (sn.results.size() > maxResultsPerSession || sn.answerBytes > maxAnswerBytesPerSession) {
                evictOldestAnswer(sn);
            }
        }
        while (answerBytesTotal > maxAnswerBytesTotal) {
            evictOldestAnswer(byAnswerBytes.first());
        }
    }

    private static int count(ByteBuffer in) {
        int n = in.getInt();
        if (n < 0 || n > in.remaining()) {
            throw new IllegalArgumentException("KV snapshot has a bad count " + n);
        }
        return n;
    }

    private static byte[] readBytes(ByteBuffer in) {
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

    /**
     * A digest of the sessions: acknowledged seqs and cached answers (seq and bytes), equal on replicas that
     * applied the same commands, a restored one included. What {@link #digest()} leaves out.
     */
    public long sessionDigest() {
        long h = 17;
        for (Map.Entry<Long, Session> e : sessions.entrySet()) {
            h = 31 * h + Long.hashCode(e.getKey());
            h = 31 * h + Long.hashCode(e.getValue().ackedSeq);
            for (Map.Entry<Long, byte[]> r : e.getValue().results.entrySet()) {
                h = 31 * h + Long.hashCode(r.getKey());
                h = 31 * h + Arrays.hashCode(r.getValue());
            }
        }
        return 31 * h + Long.hashCode(answerBytesTotal);
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
