package dev.linden.kvnode.kv;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A transaction, as etcd's Txn: if every compare holds, the {@code success} ops run, else the {@code failure}
 * ops; all in one log entry, so atomically, and under the client's session, so a retried transaction runs once.
 * Ops run in order and each sees the writes before it; every write of one transaction takes the same revision.
 * At most {@link #MAX_OPS} compares and as many ops per branch (etcd's default --max-txn-ops).
 */
public record KvTxn(List<Compare> compares, List<Op> success, List<Op> failure) {
    public static final int MAX_OPS = 128;
    /**
     * The code of a put with a lease (the lease follows its value); a put without one keeps {@code PUT}'s code
     * and layout, so entries written before leases decode the same.
     */
    private static final int LEASED_PUT_CODE = 4;

    /** What a compare reads of its key. A key that is absent has version, create and mod revision 0. */
    public enum Target {
        VALUE,
        VERSION,
        CREATE,
        MOD
    }

    public enum Cmp {
        EQUAL,
        NOT_EQUAL,
        LESS,
        GREATER
    }

    /**
     * {@code key}'s target against {@code number} (VERSION, CREATE, MOD) or {@code value} (VALUE: UTF-8 bytes
     * compared unsigned, as etcd; a compare of the value of an absent key never holds).
     */
    public record Compare(String key, Target target, Cmp cmp, long number, String value) {
        public Compare {
            if (key == null || target == null || cmp == null || (target == Target.VALUE) != (value != null)) {
                throw new IllegalArgumentException("a compare needs a key, a target, a comparison, and a value"
                        + " exactly when it compares the value");
            }
        }

        public static Compare value(String key, Cmp cmp, String value) {
            return new Compare(key, Target.VALUE, cmp, 0, value);
        }

        public static Compare version(String key, Cmp cmp, long version) {
            return new Compare(key, Target.VERSION, cmp, version, null);
        }

        public static Compare modRevision(String key, Cmp cmp, long revision) {
            return new Compare(key, Target.MOD, cmp, revision, null);
        }

        public static Compare createRevision(String key, Cmp cmp, long revision) {
            return new Compare(key, Target.CREATE, cmp, revision, null);
        }
    }

    public enum Kind {
        GET,
        PUT,
        DELETE,
        APPEND
    }

    /**
     * GET a range; PUT a value to a key, attached to {@code lease} (0: to none, detaching it, as etcd); APPEND to
     * a key's value (its lease kept); DELETE a key or, with {@code end}, a range as KvRange reads.
     */
    public record Op(Kind kind, KvRange range, String key, String end, String value, long lease) {
        public Op {
            boolean ok = switch (kind) {
                case GET -> range != null && key == null && value == null;
                case PUT, APPEND -> range == null && key != null && end == null && value != null;
                case DELETE -> range == null && key != null && value == null;
            };
            ok &= lease == 0 || (kind == Kind.PUT && lease > 0);
            if (!ok) {
                throw new IllegalArgumentException("a " + kind + " op with the wrong fields");
            }
        }

        public static Op get(KvRange range) {
            return new Op(Kind.GET, range, null, null, null, 0);
        }

        public static Op put(String key, String value) {
            return new Op(Kind.PUT, null, key, null, value, 0);
        }

        public static Op put(String key, String value, long lease) {
            return new Op(Kind.PUT, null, key, null, value, lease);
        }

        public static Op append(String key, String value) {
            return new Op(Kind.APPEND, null, key, null, value, 0);
        }

        public static Op delete(String key) {
            return new Op(Kind.DELETE, null, key, null, null, 0);
        }

        public static Op deleteRange(String key, String end) {
            return new Op(Kind.DELETE, null, key, end, null, 0);
        }

        /** Keys it deletes, as a range (DELETE only). */
        KvRange deleted() {
            return new KvRange(key, end, 0, true, false);
        }
    }

    public KvTxn {
        compares = List.copyOf(compares);
        success = List.copyOf(success);
        failure = List.copyOf(failure);
        if (compares.size() > MAX_OPS || success.size() > MAX_OPS || failure.size() > MAX_OPS) {
            throw new IllegalArgumentException("a transaction takes at most " + MAX_OPS + " compares and as many"
                    + " ops per branch (etcd's --max-txn-ops)");
        }
    }

    /** A transaction with no compares: its ops run unconditionally, atomically. */
    public static KvTxn of(Op... ops) {
        return new KvTxn(List.of(), Arrays.asList(ops), List.of());
    }

    public byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(encodedBytes());
        b.putInt(compares.size());
        for (Compare c : compares) {
            KvCommand.putBytes(b, utf8(c.key));
            b.put((byte) c.target.ordinal()).put((byte) c.cmp.ordinal()).putLong(c.number);
            KvCommand.putBytes(b, utf8(c.value));
        }
        for (List<Op> ops : List.of(success, failure)) {
            b.putInt(ops.size());
            for (Op op : ops) {
                b.put((byte) (op.lease != 0 ? LEASED_PUT_CODE : op.kind.ordinal()));
                if (op.kind == Kind.GET) {
                    KvCommand.putBytes(b, op.range.encode());
                } else {
                    KvCommand.putBytes(b, utf8(op.key));
                    KvCommand.putBytes(b, utf8(op.kind == Kind.DELETE ? op.end : op.value));
                    if (op.lease != 0) {
                        b.putLong(op.lease);
                    }
                }
            }
        }
        return b.array();
    }

    private int encodedBytes() {
        int n = 12;
        for (Compare c : compares) {
            n += 4 + utf8(c.key).length + 2 + 8 + 4 + (c.value == null ? 0 : utf8(c.value).length);
        }
        for (Op op : success) {
            n += opBytes(op);
        }
        for (Op op : failure) {
            n += opBytes(op);
        }
        return n;
    }

    private static int opBytes(Op op) {
        if (op.kind == Kind.GET) {
            return 1 + 4 + op.range.encode().length;
        }
        String second = op.kind == Kind.DELETE ? op.end : op.value;
        return 1 + 4 + utf8(op.key).length + 4 + (second == null ? 0 : utf8(second).length) + (op.lease != 0 ? 8 : 0);
    }

    private static byte[] utf8(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    public static KvTxn decode(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        try {
            int n = count(b);
            List<Compare> compares = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                String key = KvCommand.getString(b, KvCommand.MAX_KEY_BYTES);
                Target target = Target.values()[code(b.get(), Target.values().length)];
                Cmp cmp = Cmp.values()[code(b.get(), Cmp.values().length)];
                long number = b.getLong();
                compares.add(new Compare(key, target, cmp, number, KvCommand.getString(b, KvCommand.MAX_VALUE_BYTES)));
            }
            List<Op> success = ops(b);
            List<Op> failure = ops(b);
            if (b.hasRemaining()) {
                throw new IllegalArgumentException("trailing bytes after a transaction");
            }
            return new KvTxn(compares, success, failure);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("a transaction is truncated", e);
        }
    }

    private static List<Op> ops(ByteBuffer b) {
        int n = count(b);
        List<Op> ops = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int code = code(b.get(), Kind.values().length + 1);
            boolean leased = code == LEASED_PUT_CODE;
            Kind kind = leased ? Kind.PUT : Kind.values()[code];
            if (kind == Kind.GET) {
                ops.add(Op.get(KvRange.decode(KvCommand.getBytes(b, KvCommand.MAX_VALUE_BYTES))));
                continue;
            }
            String key = KvCommand.getString(b, KvCommand.MAX_KEY_BYTES);
            String second =
                    KvCommand.getString(b, kind == Kind.DELETE ? KvCommand.MAX_KEY_BYTES : KvCommand.MAX_VALUE_BYTES);
            long lease = leased ? b.getLong() : 0;
            if (leased && lease <= 0) {
                throw new IllegalArgumentException("a transaction puts with a bad lease " + lease);
            }
            ops.add(
                    kind == Kind.DELETE
                            ? new Op(kind, null, key, second, null, 0)
                            : new Op(kind, null, key, null, second, lease));
        }
        return ops;
    }

    private static int count(ByteBuffer b) {
        int n = b.getInt();
        if (n < 0 || n > MAX_OPS) {
            throw new IllegalArgumentException("a transaction list of " + n + " entries (at most " + MAX_OPS + ")");
        }
        return n;
    }

    private static int code(byte c, int values) {
        if (c < 0 || c >= values) {
            throw new IllegalArgumentException("a transaction has an unknown code " + c);
        }
        return c;
    }
}
