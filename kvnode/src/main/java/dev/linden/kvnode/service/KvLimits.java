package dev.linden.kvnode.service;

import dev.linden.kvnode.kv.KvCommand;
import dev.linden.kvnode.kv.KvOp;
import dev.linden.kvnode.kv.KvRange;
import dev.linden.kvnode.kv.KvTxn;
import dev.linden.kvnode.kv.KvWatch;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Limits on what clients may store, checked where writes enter (the leader, before proposing) so that
 * every refusal is a clear error to that client and nothing refused ever reaches the log.
 *
 * @param maxKeyBytes    longest key (UTF-8 bytes); at most {@link KvCommand#MAX_KEY_BYTES}
 * @param maxValueBytes  longest value, CAS expectation or appended piece; at most {@link KvCommand#MAX_VALUE_BYTES}
 * @param quotaBytes     bytes of keys and values the cluster holds (as etcd's --quota-backend-bytes); at
 *                       the quota a write that would add data gets NO_SPACE, while reads and deletes go on
 */
public record KvLimits(int maxKeyBytes, int maxValueBytes, long quotaBytes) {
    /** Most data a quota may allow: snapshots of it (one array, plus sessions) must stay under 1 GiB. */
    public static final long MAX_QUOTA_BYTES = 768L << 20;

    public KvLimits {
        if (maxKeyBytes < 1
                || maxKeyBytes > KvCommand.MAX_KEY_BYTES
                || maxValueBytes < 0
                || maxValueBytes > KvCommand.MAX_VALUE_BYTES
                || quotaBytes < 1
                || quotaBytes > MAX_QUOTA_BYTES) {
            throw new IllegalArgumentException("limits: key 1.." + KvCommand.MAX_KEY_BYTES + " B, value 0.."
                    + KvCommand.MAX_VALUE_BYTES + " B, quota 1.." + MAX_QUOTA_BYTES + " B");
        }
    }

    public static KvLimits defaults() {
        return new KvLimits(KvCommand.MAX_KEY_BYTES, KvCommand.MAX_VALUE_BYTES, 256L << 20);
    }

    /** Why a well-formed encoded command is over the size limits, or null. */
    String sizeProblem(byte[] command) {
        if (KvCommand.opOf(command).carriesBody()) {
            return bodySizeProblem(KvCommand.decode(command));
        }
        ByteBuffer b = ByteBuffer.wrap(command, 25, command.length - 25);
        int key = b.getInt();
        if (key > maxKeyBytes) {
            return "key of " + key + " bytes exceeds the limit of " + maxKeyBytes + " bytes";
        }
        b.position(b.position() + key);
        for (String what : new String[] {"value", "expected value"}) {
            int len = b.getInt();
            if (len > maxValueBytes) {
                return what + " of " + len + " bytes exceeds the limit of " + maxValueBytes + " bytes";
            }
            b.position(b.position() + Math.max(0, len));
        }
        return null;
    }

    /** Whether a (well-formed) TXN may put or append, in either branch: only those count against the quota. */
    static boolean writes(byte[] command) {
        KvTxn t = KvTxn.decode(KvCommand.decode(command).body());
        return t.success().stream().anyMatch(KvLimits::adds)
                || t.failure().stream().anyMatch(KvLimits::adds);
    }

    private static boolean adds(KvTxn.Op op) {
        return op.kind() == KvTxn.Kind.PUT || op.kind() == KvTxn.Kind.APPEND;
    }

    /** Why a RANGE's or TXN's keys or values are over the limits, or null. */
    private String bodySizeProblem(KvCommand c) {
        List<String> keys = new ArrayList<>();
        List<String> values = new ArrayList<>();
        if (c.op() == KvOp.RANGE || c.op() == KvOp.WATCH) {
            KvRange r = c.op() == KvOp.RANGE
                    ? KvRange.decode(c.body())
                    : KvWatch.decode(c.body()).range();
            keys.add(r.key());
            keys.add(r.end());
        } else {
            KvTxn t = KvTxn.decode(c.body());
            for (KvTxn.Compare cmp : t.compares()) {
                keys.add(cmp.key());
                values.add(cmp.value());
            }
            for (List<KvTxn.Op> ops : List.of(t.success(), t.failure())) {
                for (KvTxn.Op op : ops) {
                    keys.add(op.range() == null ? op.key() : op.range().key());
                    keys.add(op.range() == null ? op.end() : op.range().end());
                    values.add(op.value());
                }
            }
        }
        for (String k : keys) {
            if (k != null && k.getBytes(StandardCharsets.UTF_8).length > maxKeyBytes) {
                return "a key exceeds the limit of " + maxKeyBytes + " bytes";
            }
        }
        for (String v : values) {
            if (v != null && v.getBytes(StandardCharsets.UTF_8).length > maxValueBytes) {
                return "a value exceeds the limit of " + maxValueBytes + " bytes";
            }
        }
        return null;
    }

    /**
     * An upper bound on the bytes a write may add to the stored data, for the quota: its whole encoded
     * command (key and value plus a few dozen bytes of header).
     */
    static long addedBytes(byte[] command) {
        return command.length;
    }
}
