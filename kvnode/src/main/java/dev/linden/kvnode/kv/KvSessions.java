package dev.linden.kvnode.kv;

import dev.linden.kvnode.raft.InvariantViolation;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The state machine's client sessions (Raft thesis §6.3) and the answers they cache so a retried command gets
 * its first attempt's answer: bounded per session and in total, expired through the log, with tombstones for
 * sessions that are gone. Everything here is decided from the log alone, so every replica holds the same
 * sessions at the same index; it runs on the apply stage.
 *
 * <p>A session keeps the answers of commands with seq above the client's acknowledged seq, so a retry
 * gets the answer its first attempt got. That cache is bounded three ways, all decided at apply from the
 * log alone (so every replica, and every replay of the log, drops the same answers at the same index):
 * at most {@code maxResultsPerSession} answers and {@code maxAnswerBytesPerSession} bytes per session, and
 * {@code maxAnswerBytesTotal} bytes over all sessions (bytes counted as {@link KvStateMachine#answerCostBytes}). Over a
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
final class KvSessions {
    /** Sorted map: eviction order and any iteration are deterministic. */
    private final TreeMap<Long, Session> sessions = new TreeMap<>();

    private final int maxSessions;
    private final int maxResultsPerSession;
    private final long maxAnswerBytesPerSession;
    private final long maxAnswerBytesTotal;
    /** Sum of every session's answerBytes; invariant: at most maxAnswerBytesTotal after each apply. */
    private long answerBytesTotal;
    /** Sessions holding answers, the most bytes first (ties: lowest client id): the total bound's victims. */
    private final TreeSet<Session> byAnswerBytes = new TreeSet<>((a, b) -> a.answerBytes != b.answerBytes
            ? Long.compare(b.answerBytes, a.answerBytes)
            : Long.compare(a.clientId, b.clientId)); // no chain: hot

    /** The log's clock: the largest time an expiry entry carried. */
    private long logTimeMillis;
    /** Sessions that expired or were evicted, with the log's clock then (insertion order: oldest first). */
    private final LinkedHashMap<Long, Long> tombstones = new LinkedHashMap<>();

    private long sessionsExpired;
    /** Answers dropped to keep the bounds (not acknowledged ones), for tests and evidence. */
    private long answersEvicted;

    /** A retry of a command whose answer was acknowledged or dropped: it is not run again. */
    private static final byte[] EXPIRED = new KvResult(
                    KvResult.Status.SESSION_EXPIRED,
                    "the cluster no longer holds this command's answer"
                            + " (acknowledged, or dropped to keep the session's answers bounded)")
            .encode();
    /** A command of a session the cluster does not hold (expired, evicted, or never created). */
    private static final byte[] SESSION_GONE = new KvResult(
                    KvResult.Status.SESSION_EXPIRED,
                    "the cluster no" + " longer holds this client's session (expired or evicted)")
            .encode();

    static final class Session {
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

    KvSessions(int maxSessions, int maxResultsPerSession, long maxAnswerBytesPerSession, long maxAnswerBytesTotal) {
        this.maxSessions = maxSessions;
        this.maxResultsPerSession = maxResultsPerSession;
        this.maxAnswerBytesPerSession = maxAnswerBytesPerSession;
        this.maxAnswerBytesTotal = maxAnswerBytesTotal;
    }

    long answerBytesTotal() {
        return answerBytesTotal;
    }

    long answersEvicted() {
        return answersEvicted;
    }

    long sessionsExpired() {
        return sessionsExpired;
    }

    long logTimeMillis() {
        return logTimeMillis;
    }

    int count() {
        return sessions.size();
    }

    /** Always on: a cache over its bounds is a bug here, and would be one on every replica at once. */
    void checkAnswerBounds(long index) {
        if (answerBytesTotal < 0 || answerBytesTotal > maxAnswerBytesTotal) {
            throw new InvariantViolation("answer cache of " + answerBytesTotal + " bytes outside 0.."
                    + maxAnswerBytesTotal + " after index " + index);
        }
        if (!byAnswerBytes.isEmpty() && byAnswerBytes.first().answerBytes > maxAnswerBytesPerSession) {
            throw new InvariantViolation("session " + byAnswerBytes.first().clientId + " caches "
                    + byAnswerBytes.first().answerBytes + " answer bytes, over " + maxAnswerBytesPerSession);
        }
    }

    /** Applies a command of a session: runs it once, answers its retries from the cache. */
    byte[] apply(long index, ParsedCommand cmd, Function<ParsedCommand, byte[]> execute) {
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
                result = execute.apply(cmd);
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
        s.answerBytes += KvStateMachine.answerCostBytes(answer);
        answerBytesTotal += KvStateMachine.answerCostBytes(answer);
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
        s.answerBytes -= KvStateMachine.answerCostBytes(oldest.getValue());
        answerBytesTotal -= KvStateMachine.answerCostBytes(oldest.getValue());
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
    byte[] expire(byte[] value) {
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
        return KvStateMachine.result(KvResult.Status.OK, String.valueOf(expired).getBytes(StandardCharsets.UTF_8));
    }

    /** Bytes {@link #encodeTo} writes: the sessions with their answers, then the tombstones. */
    long encodedBytes() {
        long size = 4 + 4 + 16L * tombstones.size();
        for (Session sn : sessions.values()) {
            size += 8 + 8 + 8 + 8 + 4;
            for (byte[] r : sn.results.values()) {
                size += 8 + 4 + r.length;
            }
        }
        return size;
    }

    void encodeTo(ByteBuffer b) {
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
    }

    /** Sessions and tombstones read from a snapshot, not yet installed (the rest may still be refused). */
    record Decoded(TreeMap<Long, Session> sessions, LinkedHashMap<Long, Long> tombstones) {}

    static Decoded decode(ByteBuffer in, int version) {
        TreeMap<Long, Session> newSessions = new TreeMap<>();
        int ns = KvSnapshotBytes.count(in);
        for (int i = 0; i < ns; i++) {
            long clientId = in.getLong();
            Session sn = new Session(clientId);
            sn.ackedSeq = in.getLong();
            sn.lastActiveIndex = in.getLong();
            sn.lastActiveMillis = version >= 2 ? in.getLong() : 0;
            int nr = KvSnapshotBytes.count(in);
            for (int j = 0; j < nr; j++) {
                long seq = in.getLong();
                byte[] enc = KvSnapshotBytes.readBytes(in);
                KvResult.decode(enc); // refuse a garbled result now rather than send it to a client later
                sn.results.put(seq, enc);
            }
            newSessions.put(clientId, sn);
        }
        LinkedHashMap<Long, Long> newTombstones = new LinkedHashMap<>();
        if (version >= 2) {
            int nt = KvSnapshotBytes.count(in);
            for (int i = 0; i < nt; i++) {
                newTombstones.put(in.getLong(), in.getLong());
            }
        }
        return new Decoded(newSessions, newTombstones);
    }

    /** Replaces every session with a snapshot's, at the log's clock {@code logTime}. */
    void install(Decoded d, long logTime) {
        sessions.clear();
        sessions.putAll(d.sessions());
        tombstones.clear();
        tombstones.putAll(d.tombstones());
        logTimeMillis = logTime;
        recountAnswers();
    }

    /**
     * Recomputes the answer byte counts from the restored answers (the snapshot need not carry them: they
     * follow from the answers and the constant bounds), then applies the bounds. A snapshot this code wrote
     * is within them already, so nothing is dropped and the restored replica decides as its peers do; one
     * written before the bounds existed is brought within them the same way on every replica that loads it.
     */
    void recountAnswers() {
        byAnswerBytes.clear();
        answerBytesTotal = 0;
        for (Session sn : sessions.values()) {
            sn.answerBytes = 0;
            for (byte[] r : sn.results.values()) {
                sn.answerBytes += KvStateMachine.answerCostBytes(r);
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

    /** A digest of the sessions (see {@link KvStateMachine#sessionDigest}). */
    long digest() {
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
}
