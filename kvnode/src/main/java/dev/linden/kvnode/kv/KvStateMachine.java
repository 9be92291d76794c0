package dev.linden.kvnode.kv;

import dev.linden.kvnode.node.StateMachine;
import dev.linden.kvnode.raft.InvariantViolation;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The key-value state machine: get, put, delete, compare-and-set and append, with client sessions
 * that make retried commands exactly-once.
 *
 * <p>Client sessions (Raft thesis §6.3) and the answers they cache for retries live in {@link KvSessions},
 * which holds their rules: how the cache is bounded, how sessions expire through the log, and tombstones.
 */
public final class KvStateMachine implements StateMachine {
    public static final int DEFAULT_MAX_SESSIONS = 100_000;
    public static final int DEFAULT_MAX_RESULTS_PER_SESSION = 4096;
    /** Bytes one cached answer costs beyond its encoding: map entry, boxed seq, array header (about). */
    public static final int ANSWER_OVERHEAD_BYTES = 64;
    /** The largest answer cost: a largest answer (a range's page, a CAS mismatch or an APPEND with the most bytes). */
    public static final int MAX_ANSWER_COST_BYTES = KvResult.MAX_ENCODED_BYTES + ANSWER_OVERHEAD_BYTES;
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
    /** Ranges, transactions and appends on {@link #data}. */
    private final KvQueries queries;
    /** Leases and their keys' deletion. */
    private final KvLeases leases;
    /** Recent puts and deletes, for watches (local to this replica). */
    private final KvHistory history = new KvHistory(KvHistory.DEFAULT_MAX_BYTES, KvHistory.DEFAULT_MAX_EVENTS);
    /** The sessions' answer bytes, published for quota checks on other threads. */
    private volatile long answerBytesPublished;
    /** Client sessions and the answers they cache for retries. */
    private final KvSessions sessions;

    private long lastAppliedIndex;
    /** Bytes of keys and values, published by the apply stage for quota checks on other threads. */
    private volatile long storedBytes;

    private static final byte[] OK_EMPTY = new KvResult(KvResult.Status.OK, null).encode();

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
        this.leases = new KvLeases(data);
        data.recordInto(history);
        this.queries = new KvQueries(data, leases);
        if (maxSessions < 1 || maxResultsPerSession < 1) {
            throw new IllegalArgumentException("session bounds must be >= 1");
        }
        if (maxAnswerBytesPerSession < MAX_ANSWER_COST_BYTES || maxAnswerBytesTotal < maxAnswerBytesPerSession) {
            throw new IllegalArgumentException("answer bounds: per session >= " + MAX_ANSWER_COST_BYTES
                    + " bytes, total >= per session; got " + maxAnswerBytesPerSession + " and " + maxAnswerBytesTotal);
        }
        this.sessions =
                new KvSessions(maxSessions, maxResultsPerSession, maxAnswerBytesPerSession, maxAnswerBytesTotal);
    }

    @Override
    public byte[] apply(long index, byte[] command) {
        if (index <= lastAppliedIndex) {
            throw new InvariantViolation("apply out of order: " + index + " after " + lastAppliedIndex);
        }
        lastAppliedIndex = index;
        ParsedCommand cmd;
        try {
            cmd = ParsedCommand.of(command);
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

    private byte[] applyParsed(long index, ParsedCommand cmd) {
        boolean sessionless = cmd.clientId() == 0 || noDedupForTests || cmd.op().isRead();
        data.beginEntry();
        byte[] result = sessionless ? execute(index, cmd) : sessions.apply(index, cmd, c -> execute(index, c));
        data.endEntry();
        if (result.length > KvResult.MAX_ENCODED_BYTES) {
            throw new InvariantViolation("an answer of " + result.length + " bytes at index " + index);
        }
        storedBytes = data.dataBytes();
        sessions.checkAnswerBounds(index);
        answerBytesPublished = sessions.answerBytesTotal();
        return result;
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
        return sessions.answersEvicted();
    }

    /** Bytes of keys, values and cached answers: what the leader's quota check counts. */
    public long usedBytes() {
        return storedBytes + answerBytesPublished;
    }

    /**
     * Bytes of keys and values stored (as a snapshot counts them). Quotas are enforced where writes enter (the
     * leader's service), never here: an apply that refused for lack of space would make replicas diverge.
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

    /** Sessions expired through the log so far, and the log's clock (for tests and evidence). */
    public long sessionsExpired() {
        return sessions.sessionsExpired();
    }

    public long logTimeMillis() {
        return sessions.logTimeMillis();
    }

    static byte[] result(KvResult.Status status, byte[] value) {
        if (status == KvResult.Status.OK && value == null) {
            return OK_EMPTY;
        }
        ByteBuffer b = ByteBuffer.allocate(1 + 4 + (value == null ? 0 : value.length));
        b.put((byte) status.ordinal());
        KvCommand.putBytes(b, value);
        return b.array();
    }

    private byte[] execute(long index, ParsedCommand cmd) {
        String key = cmd.key();
        switch (cmd.op()) {
            case GET:
                return result(KvResult.Status.OK, data.get(key));
            case PUT:
                queries.put(key, cmd.command(), cmd.valueAt(), cmd.valueLength());
                return OK_EMPTY; // the writer knows what it wrote
            case DELETE:
                data.remove(key);
                return OK_EMPTY;
            case CAS: {
                byte[] current = data.get(key);
                if (Arrays.equals(current, cmd.expected())) {
                    byte[] v = cmd.value();
                    if (v == null) {
                        data.remove(key);
                    } else {
                        queries.put(key, v, 0, v.length); // as a put: the key leaves any lease
                    }
                    return result(KvResult.Status.OK, cmd.value());
                }
                return result(KvResult.Status.CAS_MISMATCH, current);
            }
            case EXPIRE_SESSIONS:
                return sessions.expire(cmd.value());
            case APPEND: {
                byte[] add = cmd.value() == null ? new byte[0] : cmd.value();
                if (queries.appendedLength(key, add.length) > KvCommand.MAX_VALUE_BYTES) {
                    return new KvResult(
                                    KvResult.Status.MALFORMED,
                                    "value would exceed " + KvCommand.MAX_VALUE_BYTES + " bytes")
                            .encode();
                }
                return result(KvResult.Status.OK, queries.append(key, add));
            }
            case RANGE:
            case TXN:
            case WATCH:
                return executeBody(cmd);
            case LEASE_GRANT:
                return leases.grant(index, cmd.value());
            case LEASE_KEEPALIVE:
                return leases.keepAlive(index, cmd.value());
            case LEASE_REVOKE:
                return leases.revoke(cmd.value());
            case LEASE_EXPIRE:
                return leases.expire(cmd.value());
            default:
                throw new InvariantViolation("unhandled op " + cmd.op());
        }
    }

    /** A RANGE or TXN; a body that does not decode is refused alike on every replica (validated where it entered). */
    private byte[] executeBody(ParsedCommand cmd) {
        try {
            return switch (cmd.op()) {
                case RANGE -> queries.range(KvRange.decode(cmd.value()));
                case WATCH -> watch(KvWatch.decode(cmd.value()));
                default -> queries.txn(KvTxn.decode(cmd.value()));
            };
        } catch (IllegalArgumentException e) {
            return new KvResult(KvResult.Status.MALFORMED, e.getMessage()).encode();
        }
    }

    /** A page of the history for a watch (see {@link KvWatch}). */
    private byte[] watch(KvWatch w) {
        KvHistory.Page page = w.fromRevision() == 0
                ? new KvHistory.Page(List.of(), data.revisionSeen() + 1, 0)
                : history.from(
                        w.fromRevision(), w.skip(), w.range(), KvRangeResult.PAGE_BUDGET_BYTES, data.revisionSeen());
        long compact = history.compactedRevision();
        KvWatch.Result r = page == null
                ? new KvWatch.Result(true, compact, data.revisionSeen(), w.fromRevision(), w.skip(), List.of(), false)
                : new KvWatch.Result(
                        false,
                        compact,
                        data.revisionSeen(),
                        page.nextRevision(),
                        page.nextSkip(),
                        page.events(),
                        w.prevKv());
        return KvResult.encodeBody(r.encode());
    }

    /** Read-only query: the encoded command must be a GET, a RANGE or a WATCH. */
    @Override
    public byte[] query(byte[] query) {
        ParsedCommand cmd = ParsedCommand.of(query);
        if (!cmd.op().isRead()) {
            throw new IllegalArgumentException("only GET, RANGE and WATCH can be served as read-only queries");
        }
        return cmd.op() == KvOp.GET ? result(KvResult.Status.OK, data.get(cmd.key())) : executeBody(cmd);
    }

    /** The whole state as of the last applied index; see {@link KvSnapshotView} for its layout. */
    @Override
    public byte[] snapshot() {
        SnapshotView view = snapshotView();
        try {
            return view.encode(0);
        } finally {
            view.release();
        }
    }

    /** A view of the data (no value copied) and the sessions' bytes, encoded later on any thread. */
    @Override
    public SnapshotView snapshotView() {
        return new KvSnapshotView(lastAppliedIndex, leases, sessions, data);
    }

    @Override
    public void restore(long index, byte[] snapshot) {
        KvSnapshotReader.Contents c = KvSnapshotReader.read(index, snapshot); // checked whole before installing
        data.clear();
        for (KvSnapshotReader.Key k : c.keys()) {
            data.restore(k.key(), k.value(), k.create(), k.mod(), k.version(), k.lease());
        }
        leases.install(c.leases());
        data.restoreRevision(c.revision());
        history.resetAt(c.revision());
        sessions.install(c.sessions(), c.logTimeMillis());
        lastAppliedIndex = index;
        storedBytes = data.dataBytes();
        answerBytesPublished = sessions.answerBytesTotal();
    }

    /** The leases replicas agree on (TTL and last keep-alive index), for the leader's lease timer (any thread). */
    public Map<Long, KvLeases.Lease> leases() {
        return leases.published();
    }

    /** The store's revision: applied entries that changed the data (see {@link ValueStore#revision}). */
    public long revision() {
        return data.revision();
    }

    public String get(String key) {
        byte[] v = data.get(key);
        return v == null ? null : new String(v, StandardCharsets.UTF_8);
    }

    public int size() {
        return data.size();
    }

    public int sessionCount() {
        return sessions.count();
    }

    public long lastAppliedIndex() {
        return lastAppliedIndex;
    }

    /**
     * A digest of the sessions: acknowledged seqs and cached answers (seq and bytes), equal on replicas that
     * applied the same commands, a restored one included. What {@link #digest()} leaves out.
     */
    public long sessionDigest() {
        return sessions.digest();
    }

    /**
     * A digest of the data, equal on replicas that applied the same commands (kept up to date on every write, so
     * asking costs nothing).
     */
    public long digest() {
        return data.digest() + 31 * leases.digest();
    }
}
