package dev.linden.kvnode.kv;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Ranges, transactions and appends against the store, on the apply stage. One answer's keys and values stay
 * within {@link KvRangeResult#PAGE_BUDGET_BYTES} (at least one key, however large), so every answer, and so
 * every answer a session caches, stays within {@link KvResult#MAX_ENCODED_BYTES}.
 */
final class KvQueries {
    private final ValueStore data;
    private final KvLeases leases;
    /** Bytes of keys and values the answer being made may still take. */
    private long budgetBytes;
    /** Keys the answer being made holds so far. */
    private int answerKeys;
    /** Keys the answer being made has walked over (counting included), at most {@link #MAX_KEYS_VISITED}. */
    private long visited;

    /**
     * Keys one answer may walk over: a range's count is exact below it; past it the page stops counting, says
     * {@code more} and its count is a lower bound. Bounds the apply stage's time for one command (a transaction
     * of 128 ranges over every key runs on every replica).
     */
    static final long MAX_KEYS_VISITED = 1 << 20;

    /** Keys one answer may walk over (tests give a small bound). */
    private final long maxKeysVisited;

    KvQueries(ValueStore data, KvLeases leases) {
        this(data, leases, MAX_KEYS_VISITED);
    }

    KvQueries(ValueStore data, KvLeases leases, long maxKeysVisited) {
        this.data = data;
        this.leases = leases;
        this.maxKeysVisited = maxKeysVisited;
    }

    /** A plain put: the value, and the key detached from any lease (as etcd's put without one). */
    void put(String key, byte[] src, int at, int length) {
        data.put(key, src, at, length);
        if (data.hasLeases()) {
            data.attach(key, 0);
        }
    }

    /** A RANGE's answer. */
    byte[] range(KvRange r) {
        startAnswer();
        return KvResult.encodeBody(page(r).encode());
    }

    /** A TXN's answer: the branch its compares chose, run in order; nothing changed if an append would overflow. */
    byte[] txn(KvTxn t) {
        boolean holds = true;
        for (KvTxn.Compare c : t.compares()) {
            holds &= holds(c);
        }
        List<KvTxn.Op> ops = holds ? t.success() : t.failure();
        String tooLong = appendOverflow(ops);
        if (tooLong != null) {
            return new KvResult(KvResult.Status.MALFORMED, tooLong).encode();
        }
        for (KvTxn.Op op : ops) {
            if (op.lease() != 0 && !leases.exists(op.lease())) {
                return new KvResult(
                                KvResult.Status.NOT_FOUND, "lease " + op.lease() + " not found; nothing was changed")
                        .encode();
            }
        }
        startAnswer();
        List<KvTxnResult.OpResult> results = new ArrayList<>(ops.size());
        for (KvTxn.Op op : ops) {
            switch (op.kind()) {
                case GET -> results.add(new KvTxnResult.OpResult(op.kind(), page(op.range()), 0));
                case PUT -> {
                    byte[] v = op.value().getBytes(StandardCharsets.UTF_8);
                    put(op.key(), v, 0, v.length);
                    if (op.lease() != 0) {
                        data.attach(op.key(), op.lease());
                    }
                    results.add(new KvTxnResult.OpResult(op.kind(), null, 0));
                }
                case APPEND -> {
                    append(op.key(), op.value().getBytes(StandardCharsets.UTF_8));
                    results.add(new KvTxnResult.OpResult(op.kind(), null, 0));
                }
                case DELETE -> results.add(new KvTxnResult.OpResult(op.kind(), null, delete(op.deleted())));
            }
        }
        return KvResult.encodeBody(new KvTxnResult(holds, data.revisionSeen(), results).encode());
    }

    /** Appends (the caller checked the length); returns the new value. */
    byte[] append(String key, byte[] add) {
        KeySlot s = data.slot(key);
        byte[] current = s == null ? null : data.value(s);
        byte[] next;
        if (current == null) {
            next = add;
        } else {
            next = Arrays.copyOf(current, current.length + add.length);
            System.arraycopy(add, 0, next, current.length, add.length);
        }
        data.put(key, next, 0, next.length);
        return next;
    }

    /** The length of {@code key}'s value after appending {@code addBytes}. */
    long appendedLength(String key, int addBytes) {
        KeySlot s = data.slot(key);
        return (s == null ? 0L : data.valueLength(s)) + addBytes;
    }

    private long delete(KvRange r) {
        if (r.end() == null) {
            return data.remove(r.key()) ? 1 : 0;
        }
        List<String> doomed = new ArrayList<>(data.range(r.key(), r.end().equals(KvRange.ALL) ? null : r.end())
                .keySet());
        for (String k : doomed) {
            data.remove(k);
        }
        return doomed.size();
    }

    private boolean holds(KvTxn.Compare c) {
        KeySlot s = data.slot(c.key());
        int order;
        if (c.target() == KvTxn.Target.VALUE) {
            byte[] v = s == null ? null : data.value(s);
            if (v == null) {
                return false; // as etcd: the value of an absent key compares with nothing
            }
            order = Arrays.compareUnsigned(v, c.value().getBytes(StandardCharsets.UTF_8));
        } else {
            long have = s == null
                    ? 0
                    : switch (c.target()) {
                        case VERSION -> s.version();
                        case CREATE -> s.createRevision();
                        default -> s.modRevision();
                    };
            order = Long.compare(have, c.number());
        }
        return switch (c.cmp()) {
            case EQUAL -> order == 0;
            case NOT_EQUAL -> order != 0;
            case LESS -> order < 0;
            case GREATER -> order > 0;
        };
    }

    /** Why appending would take a value past the limit (following the ops' puts and deletes in order), or null. */
    private String appendOverflow(List<KvTxn.Op> ops) {
        Map<String, Long> lengths = new HashMap<>(); // keys put or appended so far: their length then
        List<KvRange> deleted = new ArrayList<>(); // ranges deleted so far
        for (KvTxn.Op op : ops) {
            switch (op.kind()) {
                case PUT -> lengths.put(op.key(), (long) KvRange.utf8Length(op.value()));
                case DELETE -> {
                    KvRange gone = op.deleted();
                    lengths.replaceAll((k, len) -> gone.contains(k) ? 0L : len);
                    deleted.add(gone);
                }
                case APPEND -> {
                    int add = KvRange.utf8Length(op.value());
                    Long before = lengths.get(op.key());
                    if (before == null && deleted.stream().anyMatch(r -> r.contains(op.key()))) {
                        before = 0L;
                    }
                    long after = before == null ? appendedLength(op.key(), add) : before + add;
                    if (after > KvCommand.MAX_VALUE_BYTES) {
                        return "the append to " + op.key() + " would make a value of " + after + " bytes, over "
                                + KvCommand.MAX_VALUE_BYTES + "; nothing was changed";
                    }
                    lengths.put(op.key(), after);
                }
                case GET -> {
                    // reads nothing into the lengths
                }
            }
        }
        return null;
    }

    private void startAnswer() {
        budgetBytes = KvRangeResult.PAGE_BUDGET_BYTES;
        answerKeys = 0;
        visited = 0;
    }

    /** One page of {@code r} at the store's revision now, within what is left of the answer's budget. */
    private KvRangeResult page(KvRange r) {
        List<KvRangeResult.KeyValue> kvs = new ArrayList<>();
        long count = 0;
        boolean more = false;
        if (r.end() == null) {
            KeySlot s = data.slot(r.key());
            if (s != null) {
                count = 1;
                more = !r.countOnly() && !take(r, r.key(), s, kvs);
            }
        } else {
            for (Map.Entry<String, KeySlot> e : data.range(r.key(), r.end().equals(KvRange.ALL) ? null : r.end())
                    .entrySet()) {
                if (++visited > maxKeysVisited) {
                    more = true; // the count so far is a lower bound
                    break;
                }
                count++;
                if (r.countOnly() || more) {
                    continue;
                }
                more = (r.limit() > 0 && kvs.size() >= r.limit()) || !take(r, e.getKey(), e.getValue(), kvs);
            }
        }
        return new KvRangeResult(data.revisionSeen(), count, more, kvs);
    }

    /** Adds the key to the page if the answer's budget allows (the answer's first key always); false if not. */
    private boolean take(KvRange r, String key, KeySlot s, List<KvRangeResult.KeyValue> kvs) {
        long bytes =
                KvRangeResult.KV_OVERHEAD_BYTES + KvRange.utf8Length(key) + (r.keysOnly() ? 0 : data.valueLength(s));
        if (answerKeys > 0 && bytes > budgetBytes) {
            return false;
        }
        budgetBytes -= bytes;
        answerKeys++;
        kvs.add(new KvRangeResult.KeyValue(
                key, r.keysOnly() ? null : data.value(s), s.createRevision(), s.modRevision(), s.version()));
        return true;
    }
}
