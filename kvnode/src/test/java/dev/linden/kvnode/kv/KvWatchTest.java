package dev.linden.kvnode.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The history watches read (issue 26): every change once, in revision order, paged, compacted, reset on restore. */
class KvWatchTest {
    private final KvStateMachine sm = new KvStateMachine();
    private long index;

    private void apply(KvCommand c) {
        sm.apply(++index, c.encode());
    }

    private KvWatch.Result read(KvWatch w) {
        return KvWatch.Result.decode(
                KvResult.decode(sm.query(KvCommand.watch(w).encode())).body());
    }

    /** Every event of the range from a revision on, page after page. */
    private List<KvEvent> readAll(KvRange range, long from, boolean prevKv) {
        List<KvEvent> out = new ArrayList<>();
        long rev = from;
        int skip = 0;
        while (true) {
            KvWatch.Result r = read(new KvWatch(range, rev, skip, prevKv));
            assertFalse(r.compacted());
            if (r.events().isEmpty()) {
                return out;
            }
            out.addAll(r.events());
            rev = r.nextRevision();
            skip = r.nextSkip();
        }
    }

    private static List<String> described(List<KvEvent> events) {
        return events.stream()
                .map(e -> e.type() + " " + e.key() + "=" + e.valueString() + "@" + e.revision() + " was "
                        + e.prevValueString())
                .collect(Collectors.toList());
    }

    @Test
    void everyChangeOnceInRevisionOrderWithPreviousValuesOnRequest() {
        apply(KvCommand.put("a/1", "x"));
        apply(KvCommand.put("b", "other"));
        apply(KvCommand.txn(KvTxn.of(KvTxn.Op.put("a/1", "y"), KvTxn.Op.put("a/2", "z"))));
        apply(KvCommand.delete("a/2"));
        apply(KvCommand.delete("a/absent"));
        long lease = Long.parseLong(
                KvResult.decode(sm.apply(++index, KvCommand.leaseGrant(1000).encode()))
                        .value());
        apply(KvCommand.txn(KvTxn.of(KvTxn.Op.put("a/3", "l", lease))));
        apply(KvCommand.leaseRevoke(lease));
        assertEquals(
                List.of(
                        "PUT a/1=x@1 was null",
                        "PUT a/1=y@3 was x",
                        "PUT a/2=z@3 was null",
                        "DELETE a/2=null@4 was z",
                        "PUT a/3=l@5 was null",
                        "DELETE a/3=null@6 was l"),
                described(readAll(KvRange.prefix("a/"), 1, true)));
        assertEquals(5, readAll(KvRange.prefix("a/"), 3, false).size(), "from revision 3 on");
        assertNull(readAll(KvRange.prefix("a/"), 1, false).get(1).prevValue(), "previous values only on request");
        KvWatch.Result now = read(new KvWatch(KvRange.prefix(""), 0, 0, false));
        assertEquals(7, now.nextRevision(), "revision 0: from now on");
        assertTrue(now.events().isEmpty());
        assertEquals(6, now.storeRevision());
    }

    @Test
    void pagesNeverLoseOrRepeatAnEventEvenInsideOneRevision() {
        String big = "v".repeat(100_000);
        List<KvTxn.Op> puts = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            puts.add(KvTxn.Op.put("k" + i, big));
        }
        apply(KvCommand.txn(new KvTxn(List.of(), puts, List.of()))); // 900 kB in one revision: two pages at least
        apply(KvCommand.put("k9", "small"));
        KvWatch.Result first = read(new KvWatch(KvRange.prefix("k"), 1, 0, false));
        assertTrue(first.events().size() < 9, "the first page is cut inside revision 1");
        assertEquals(1, first.nextRevision());
        List<KvEvent> all = readAll(KvRange.prefix("k"), 1, false);
        assertEquals(10, all.size());
        for (int i = 0; i < 10; i++) {
            assertEquals("k" + i, all.get(i).key());
        }
    }

    @Test
    void aWatchFromARevisionNoLongerHeldIsToldItWasCompacted() {
        KvHistory h = new KvHistory(1 << 20, 3);
        for (int rev = 1; rev <= 5; rev++) {
            h.record(new KvEvent(KvEvent.Type.PUT, rev, "k", new byte[] {1}, 1, rev, rev, null));
        }
        assertEquals(2, h.compactedRevision());
        assertNull(h.from(2, 0, KvRange.prefix(""), 1 << 20, 5));
        assertEquals(3, h.from(3, 0, KvRange.prefix(""), 1 << 20, 5).events().size());
        apply(KvCommand.put("a", "1"));
        apply(KvCommand.put("a", "2"));
        KvStateMachine restored = new KvStateMachine();
        restored.restore(index, sm.snapshot());
        KvWatch.Result old = KvWatch.Result.decode(KvResult.decode(
                        restored.query(KvCommand.watch(new KvWatch(KvRange.key("a"), 1, 0, false))
                                .encode()))
                .body());
        assertTrue(old.compacted(), "a restored replica holds no event before its snapshot");
        assertEquals(2, old.compactRevision());
    }

    @Test
    void theRingGrowsWrapsAndFindsItsStartByRevision() {
        KvHistory h = new KvHistory(1L << 30, 3_000);
        for (int i = 1; i <= 5_000; i++) {
            // Two events a revision: a put of one key and of another.
            long rev = (i + 1) / 2;
            h.record(new KvEvent(KvEvent.Type.PUT, rev, "k" + (i % 2), new byte[] {(byte) i}, 1, rev, i, null));
        }
        assertEquals(3_000, h.size());
        assertEquals(1_000, h.compactedRevision(), "the oldest 2,000 events (revisions 1-1,000) are gone");
        assertNull(h.from(1_000, 0, KvRange.prefix(""), 1L << 30, 2_500));
        KvHistory.Page page = h.from(2_400, 1, KvRange.prefix(""), 1L << 30, 2_500);
        assertEquals(201, page.events().size(), "the second event of 2,400, then 2,401-2,500");
        assertEquals(2_400, page.events().get(0).revision());
        assertEquals(2_501, page.nextRevision());
        assertEquals(
                100,
                h.from(2_401, 0, KvRange.key("k1"), 1L << 30, 2_500).events().size());
    }
}
