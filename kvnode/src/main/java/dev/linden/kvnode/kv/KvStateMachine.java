package dev.linden.kvnode.kv;

import dev.linden.kvnode.node.StateMachine;
import dev.linden.kvnode.raft.InvariantViolation;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.CRC32C;

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
    /** The sessions' answer bytes, published for quota checks on other threads. */
    private volatile long answerBytesPublished;
    /** Client sessions and the answers they cache for retries. */
    private final KvSessions sessions;

    private long lastAppliedIndex;
    /** Bytes of keys and values, published by the apply stage for quota checks on other threads. */
    private volatile long storedBytes;

    private static final byte[] OK_EMPTY = new KvResult(KvResult.Status.OK, null).encode();
    /**
     * A command decoded for apply (key a string, value and expected raw bytes). Validated once where it entered
     * ({@link KvCommand#validate}); apply only parses, and bytes that do not parse are refused alike everywhere.
     */
    record Parsed(
            KvOp op,
            long clientId,
            long seq,
            long ackedSeq,
            String key,
            byte[] command,
            int valueAt,
            int valueLength,
            byte[] expected) {
        static Parsed of(byte[] command) {
            ByteBuffer b = ByteBuffer.wrap(command);
            KvOp op = KvOp.fromCode(b.get());
            long clientId = b.getLong();
            long seq = b.getLong();
            long acked = b.getLong();
            int keyLen = b.getInt();
            String key = new String(command, b.position(), keyLen, StandardCharsets.UTF_8);
            b.position(b.position() + keyLen);
            // The value stays in the command (a put copies it straight into the store); the expected value is
            // small and rare (CAS only).
            int valueLength = b.getInt();
            int valueAt = b.position();
            if (valueLength > b.remaining()) {
                throw new IllegalArgumentException("value of " + valueLength + " bytes past the command's end");
            }
            b.position(valueAt + Math.max(0, valueLength));
            Parsed parsed = new Parsed(op, clientId, seq, acked, key, command, valueAt, valueLength, bytes(b));
            if (b.hasRemaining()) {
                throw new IllegalArgumentException("trailing bytes after KV command");
            }
            return parsed;
        }

        /** A copy of the value, or null. */
        byte[] value() {
            return valueLength < 0 ? null : Arrays.copyOfRange(command, valueAt, valueAt + valueLength);
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
        this.sessions =
                new KvSessions(maxSessions, maxResultsPerSession, maxAnswerBytesPerSession, maxAnswerBytesTotal);
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
        boolean sessionless = cmd.clientId() == 0 || noDedupForTests || cmd.op() == KvOp.GET;
        byte[] result = sessionless ? execute(cmd) : sessions.apply(index, cmd, this::execute);
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

    private byte[] execute(Parsed cmd) {
        String key = cmd.key();
        switch (cmd.op()) {
            case GET:
                return result(KvResult.Status.OK, data.get(key));
            case PUT:
                data.put(key, cmd.command(), cmd.valueAt(), cmd.valueLength());
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
                return sessions.expire(cmd.value());
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
        return new KvSnapshotView(lastAppliedIndex, sessions, data);
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
            if (in.getInt() != KvSnapshotView.MAGIC) {
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
            int n = KvSnapshotBytes.count(in);
            for (int i = 0; i < n; i++) {
                byte[] key = KvSnapshotBytes.readBytes(in);
                if (key == null) {
                    throw new IllegalArgumentException("KV snapshot has a null key");
                }
                newData.put(new String(key, StandardCharsets.UTF_8), KvSnapshotBytes.readBytes(in));
            }
            KvSessions.Decoded decoded = KvSessions.decode(in, version);
            if (in.hasRemaining()) {
                throw new IllegalArgumentException("KV snapshot has " + in.remaining() + " trailing bytes");
            }
            data.clear();
            newData.forEach(data::put);
            sessions.install(decoded, logTime);
            lastAppliedIndex = index;
            storedBytes = data.dataBytes();
            answerBytesPublished = sessions.answerBytesTotal();
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("KV snapshot truncated", e);
        }
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
        return data.digest();
    }
}
