package dev.linden.kvnode.kv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.kvnode.kv.KvTxn.Cmp;
import dev.linden.kvnode.kv.KvTxn.Compare;
import dev.linden.kvnode.kv.KvTxn.Op;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Revisions, ranges and transactions on the state machine (issue 26), each through the encoded command path. */
class KvRangeTxnTest {
    private final KvStateMachine sm = new KvStateMachine();
    private long index;

    private KvResult apply(KvCommand c) {
        return KvResult.decode(sm.apply(++index, c.encode()));
    }

    private KvRangeResult range(KvRange r) {
        KvResult res = apply(KvCommand.range(r));
        assertEquals(KvResult.Status.OK, res.status(), res.value());
        KvRangeResult viaLog = KvRangeResult.decode(res.body());
        KvRangeResult viaQuery = KvRangeResult.decode(
                KvResult.decode(sm.query(KvCommand.range(r).encode())).body());
        assertEquals(viaLog, viaQuery, "a range through the log and as a read-only query read the same");
        return viaLog;
    }

    private KvTxnResult txn(KvTxn t) {
        KvResult res = apply(KvCommand.txn(t));
        assertEquals(KvResult.Status.OK, res.status(), res.value());
        return KvTxnResult.decode(res.body());
    }

    private static List<String> keys(KvRangeResult r) {
        return r.kvs().stream().map(KvRangeResult.KeyValue::key).collect(Collectors.toList());
    }

    @Test
    void everyEntryThatWritesTakesTheNextRevisionAndKeysKeepTheirs() {
        assertEquals(0, sm.revision());
        apply(KvCommand.put("a", "1"));
        apply(KvCommand.put("a", "2"));
        apply(KvCommand.get("a"));
        apply(KvCommand.delete("missing"));
        assertEquals(2, sm.revision(), "reads and deletes of absent keys change nothing, so take no revision");
        apply(KvCommand.put("b", "1"));
        KvRangeResult queried = KvRangeResult.decode(
                KvResult.decode(sm.query(KvCommand.range(KvRange.key("b")).encode()))
                        .body());
        assertEquals(3, queried.revision(), "a read-only query right after a write reads at the write's revision");
        apply(KvCommand.delete("b"));
        KvRangeResult.KeyValue a = range(KvRange.key("a")).kvs().get(0);
        assertEquals(new KvRangeResult.KeyValue("a", "2".getBytes(), 1, 2, 2), a);
        apply(KvCommand.delete("a"));
        apply(KvCommand.append("a", "x"));
        KvRangeResult again = range(KvRange.key("a"));
        assertEquals(6, again.revision());
        assertEquals(
                new KvRangeResult.KeyValue("a", "x".getBytes(), 6, 6, 1),
                again.kvs().get(0),
                "a key deleted and written again starts over: created at 6, version 1");
    }

    @Test
    void rangesReadKeysInTheOrderOfTheirUtf8Bytes() {
        for (String k : List.of("b", "a", "ab", "b/1", "b/2", "c", "\uFFFD", "\uD83D\uDE00", "b0")) {
            apply(KvCommand.put(k, "v" + k));
        }
        assertEquals(List.of("b", "b/1", "b/2", "b0"), keys(range(KvRange.prefix("b"))));
        assertEquals(List.of("b/1", "b/2"), keys(range(KvRange.prefix("b/"))));
        assertEquals(List.of("ab", "b", "b/1", "b/2", "b0"), keys(range(KvRange.between("ab", "c"))));
        // U+FFFD is EF BF BD in UTF-8, the emoji F0 9F 98 80: the emoji sorts last, though its UTF-16 units do not.
        assertEquals(
                List.of("c", "\uFFFD", "\uD83D\uDE00"), keys(range(new KvRange("c", KvRange.ALL, 0, false, false))));
        assertEquals(9, range(KvRange.prefix("")).count());
        assertTrue(range(KvRange.between("c", "a")).kvs().isEmpty(), "an empty interval reads nothing");
        assertEquals(List.of(), keys(range(KvRange.key("zz"))));
    }

    @Test
    void limitKeysOnlyAndCountOnlyAndAContinuationThatReadsEveryKeyOnce() {
        for (int i = 0; i < 10; i++) {
            apply(KvCommand.put("k" + i, "value" + i));
        }
        KvRangeResult first = range(KvRange.prefix("k").withLimit(4));
        assertEquals(List.of("k0", "k1", "k2", "k3"), keys(first));
        assertEquals(10, first.count(), "the count is of the whole range");
        assertTrue(first.more());
        List<String> all = new ArrayList<>(keys(first));
        KvRange next = KvRange.prefix("k").withLimit(4).after("k3");
        while (true) {
            KvRangeResult page = range(next);
            all.addAll(keys(page));
            if (!page.more()) {
                break;
            }
            next = next.after(page.kvs().get(page.kvs().size() - 1).key());
        }
        assertEquals(10, all.size());
        assertEquals(all.stream().distinct().count(), 10L);
        KvRangeResult keysOnly = range(KvRange.prefix("k").withKeysOnly());
        assertNull(keysOnly.kvs().get(0).value());
        assertEquals(10, keysOnly.kvs().size());
        KvRangeResult count = range(KvRange.prefix("k").withCountOnly());
        assertEquals(10, count.count());
        assertTrue(count.kvs().isEmpty());
        assertFalse(count.more());
    }

    @Test
    void aPageStopsAtTheByteBudgetButAlwaysHoldsOneKey() {
        String big = "x".repeat(200_000);
        for (int i = 0; i < 5; i++) {
            apply(KvCommand.put("big" + i, big));
        }
        KvRangeResult page = range(KvRange.prefix("big"));
        assertEquals(2, page.kvs().size(), "two values of 200 kB fit in 512 KiB, a third does not");
        assertTrue(page.more());
        assertEquals(5, page.count());
        apply(KvCommand.put("huge", "y".repeat(KvCommand.MAX_VALUE_BYTES)));
        KvRangeResult huge = range(KvRange.prefix("huge"));
        assertEquals(1, huge.kvs().size(), "a value over the budget still comes, alone");
        assertTrue(
                sm.apply(++index, KvCommand.range(KvRange.prefix("")).encode()).length <= KvResult.MAX_ENCODED_BYTES);
    }

    @Test
    void aTransactionRunsTheBranchItsComparesChooseAtomicallyAtOneRevision() {
        apply(KvCommand.put("x", "1"));
        apply(KvCommand.put("y", "1"));
        KvTxn moveOne = new KvTxn(
                List.of(Compare.value("x", Cmp.EQUAL, "1"), Compare.version("y", Cmp.LESS, 5)),
                List.of(Op.put("x", "0"), Op.put("y", "2"), Op.get(KvRange.prefix(""))),
                List.of(Op.get(KvRange.key("x"))));
        KvTxnResult done = txn(moveOne);
        assertTrue(done.succeeded());
        assertEquals(3, done.revision(), "both writes of one transaction take one revision");
        KvRangeResult seen = done.results().get(2).range();
        assertEquals("0", seen.valueOf("x"), "an op sees the writes before it");
        assertEquals(3, seen.kvs().get(0).modRevision());
        assertEquals(3, seen.kvs().get(1).modRevision());
        KvTxnResult again = txn(moveOne);
        assertFalse(again.succeeded(), "x is 0 now: the failure branch runs");
        assertEquals("0", again.results().get(0).range().valueOf("x"));
        assertEquals(3, sm.revision(), "a branch that only reads takes no revision");
    }

    @Test
    void comparesOnVersionAndRevisionsTreatAnAbsentKeyAsZero() {
        KvTxn createIfAbsent = new KvTxn(
                List.of(Compare.createRevision("lock", Cmp.EQUAL, 0)),
                List.of(Op.put("lock", "me")),
                List.of(Op.get(KvRange.key("lock"))));
        assertTrue(txn(createIfAbsent).succeeded());
        assertFalse(txn(createIfAbsent).succeeded(), "the second sees the first's key");
        long mod = range(KvRange.key("lock")).kvs().get(0).modRevision();
        assertTrue(txn(new KvTxn(List.of(Compare.modRevision("lock", Cmp.EQUAL, mod)), List.of(), List.of()))
                .succeeded());
        assertFalse(
                txn(new KvTxn(List.of(Compare.value("absent", Cmp.NOT_EQUAL, "z")), List.of(), List.of()))
                        .succeeded(),
                "a compare of an absent key's value never holds (etcd)");
        assertTrue(
                txn(new KvTxn(List.of(Compare.value("lock", Cmp.GREATER, "ma")), List.of(), List.of()))
                        .succeeded(),
                "values compare as bytes");
    }

    @Test
    void deletesOfRangesCountWhatTheyDeletedAndAnOverlongAppendChangesNothing() {
        for (String k : List.of("d/1", "d/2", "d/3", "e")) {
            apply(KvCommand.put(k, "v"));
        }
        KvTxnResult del = txn(KvTxn.of(Op.deleteRange("d/", KvRange.prefixEnd("d/")), Op.delete("nothing")));
        assertEquals(3, del.results().get(0).deleted());
        assertEquals(0, del.results().get(1).deleted());
        assertEquals(List.of("e"), keys(range(KvRange.prefix(""))));
        apply(KvCommand.put("l", "h".repeat(KvCommand.MAX_VALUE_BYTES - 15)));
        long before = sm.revision();
        KvResult refused = apply(KvCommand.txn(
                KvTxn.of(Op.put("p", "start"), Op.append("l", "0123456789"), Op.append("l", "0123456789"))));
        assertEquals(KvResult.Status.MALFORMED, refused.status());
        assertNull(sm.get("p"), "not even the put before the overlong append happened");
        assertEquals(before, sm.revision());
        txn(KvTxn.of(Op.append("l2", "a"), Op.append("l2", "b")));
        assertEquals("ab", sm.get("l2"));
    }

    @Test
    void aRetriedTransactionRunsOnceAndGetsItsFirstAnswer() {
        KvCommand t = KvCommand.txn(KvTxn.of(Op.append("list", "1"), Op.get(KvRange.key("list"))))
                .withSession(7, 1, 0);
        KvResult first = apply(t);
        apply(KvCommand.append("list", "2").withSession(8, 1, 0));
        KvResult retry = apply(t);
        assertEquals(first, retry);
        assertEquals("12", sm.get("list"));
        assertEquals(
                "1", KvTxnResult.decode(retry.body()).results().get(1).range().valueOf("list"));
    }

    @Test
    void aSnapshotKeepsTheRevisions() {
        apply(KvCommand.put("a", "1"));
        apply(KvCommand.put("a", "2"));
        apply(KvCommand.put("b", "1"));
        KvStateMachine restored = new KvStateMachine();
        restored.restore(index, sm.snapshot());
        assertEquals(sm.revision(), restored.revision());
        assertEquals(sm.digest(), restored.digest());
        KvRangeResult r = KvRangeResult.decode(KvResult.decode(
                        restored.query(KvCommand.range(KvRange.prefix("")).encode()))
                .body());
        assertEquals(range(KvRange.prefix("")), r);
        restored.apply(index + 1, KvCommand.put("a", "3").encode());
        sm.apply(++index, KvCommand.put("a", "3").encode());
        assertEquals(sm.digest(), restored.digest(), "replicas go on agreeing after a restore");
    }

    @Test
    void malformedBodiesAreRefusedWhereTheyEnterAndAlikeOnApply() {
        byte[] txn = KvCommand.txn(KvTxn.of(Op.put("k", "v"))).encode();
        byte[] broken = Arrays.copyOf(txn, txn.length);
        broken[broken.length - 5] = 9; // the failure branch's op count (before the empty expected field): 9, none there
        assertNotNull(KvCommand.validate(broken));
        assertNull(KvCommand.validate(txn));
        assertEquals(
                KvResult.Status.MALFORMED,
                KvResult.decode(sm.apply(++index, broken)).status());
        List<Op> many = new ArrayList<>();
        for (int i = 0; i <= KvTxn.MAX_OPS; i++) {
            many.add(Op.put("k" + i, "v"));
        }
        assertThrows(IllegalArgumentException.class, () -> new KvTxn(List.of(), many, List.of()));
    }

    @Test
    void prefixEndsAndEncodingsRoundTrip() {
        assertEquals("b", KvRange.prefixEnd("a"));
        assertEquals("a0", KvRange.prefixEnd("a/"), "'/' + 1 is '0'");
        assertEquals(
                "b", KvRange.prefixEnd("a\uDBFF\uDFFF"), "the largest code point is dropped, the one before raised");
        assertEquals(KvRange.ALL, KvRange.prefixEnd(""));
        KvRange r = new KvRange("s", "t", 7, true, false);
        assertEquals(r, KvRange.decode(r.encode()));
        KvTxn t = new KvTxn(
                List.of(Compare.value("a", Cmp.EQUAL, "1"), Compare.modRevision("b", Cmp.GREATER, 3)),
                List.of(Op.put("a", "2"), Op.deleteRange("c", "d"), Op.append("e", "f"), Op.get(r)),
                List.of(Op.delete("z")));
        assertEquals(t, KvTxn.decode(t.encode()));
        KvCommand c = KvCommand.txn(t).withSession(3, 4, 2);
        assertEquals(c, KvCommand.decode(c.encode()));
    }

    @Test
    void aPutWithoutALeaseEncodesAsBeforeLeasesSoOlderLogsDecodeTheSame() {
        byte[] encoded = KvTxn.of(Op.put("k", "v")).encode();
        ByteBuffer b = ByteBuffer.allocate(encoded.length);
        b.putInt(0)
                .putInt(1)
                .put((byte) 1)
                .putInt(1)
                .put((byte) 'k')
                .putInt(1)
                .put((byte) 'v')
                .putInt(0);
        assertArrayEquals(b.array(), encoded, "compares, success (one PUT: key, value, no lease), failure");
        KvTxn leased = KvTxn.of(Op.put("k", "v", 42));
        assertEquals(leased, KvTxn.decode(leased.encode()));
    }

    @Test
    void anAnswerWalksOverABoundedNumberOfKeysAndSaysSo() {
        ValueStore store = new ValueStore();
        KvQueries q = new KvQueries(store, new KvLeases(store), 5);
        store.beginEntry();
        for (int i = 0; i < 8; i++) {
            store.put("k" + i, new byte[] {1});
        }
        store.endEntry();
        KvRangeResult counted = KvRangeResult.decode(
                KvResult.decode(q.range(KvRange.prefix("k").withCountOnly())).body());
        assertEquals(5, counted.count(), "a lower bound past the walk's bound");
        assertTrue(counted.more());
        KvRangeResult small = KvRangeResult.decode(
                KvResult.decode(q.range(KvRange.between("k0", "k3"))).body());
        assertEquals(3, small.count());
        assertFalse(small.more());
    }
}
