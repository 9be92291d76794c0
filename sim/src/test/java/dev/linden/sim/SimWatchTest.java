package dev.linden.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.kvnode.kv.KvCommand;
import dev.linden.kvnode.kv.KvEvent;
import dev.linden.kvnode.kv.KvRange;
import dev.linden.kvnode.kv.KvRangeResult;
import dev.linden.kvnode.kv.KvResult;
import dev.linden.kvnode.kv.KvTxn;
import dev.linden.kvnode.kv.KvWatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * A watch on the simulated cluster (issue 26), read through the real client core while a writer writes and the
 * leader is paused: it sees every write once, in revision order, with no gap, across the leader change, and ends
 * where a range read of the final state says it should.
 */
class SimWatchTest {
    @Test
    void aWatchSeesEveryWriteOnceInOrderAcrossALeaderChange() {
        SimCalls calls = new SimCalls(23, 3);
        calls.sleep(3_000);
        long start = KvWatch.Result.decode(calls.call(KvCommand.watch(new KvWatch(KvRange.prefix("w/"), 0, 0, false)))
                        .body())
                .nextRevision();
        long revision = start;
        int skip = 0;
        List<KvEvent> seen = new ArrayList<>();
        int firstLeader = calls.sim.leader();
        for (int i = 0; i < 60; i++) {
            if (i == 20) {
                calls.sim.node(firstLeader).pause();
            }
            if (i == 40) {
                calls.sim.node(firstLeader).resume();
            }
            calls.call(KvCommand.txn(KvTxn.of(KvTxn.Op.put("w/" + (i % 7), "v" + i), KvTxn.Op.put("other", "x"))));
            if (i % 3 == 0) {
                calls.call(KvCommand.delete("w/" + (i % 5)));
            }
            KvWatch.Result page = KvWatch.Result.decode(
                    calls.call(KvCommand.watch(new KvWatch(KvRange.prefix("w/"), revision, skip, false)))
                            .body());
            assertFalse(page.compacted());
            seen.addAll(page.events());
            revision = page.nextRevision();
            skip = page.nextSkip();
        }
        assertNotEquals(firstLeader, calls.sim.leader(), "the leader changed while the watch read");
        // Every write: 60 puts and the deletes of keys that were there, in revision order, each once.
        long puts = seen.stream().filter(e -> e.type() == KvEvent.Type.PUT).count();
        assertEquals(60, puts, seen.toString());
        for (int i = 1; i < seen.size(); i++) {
            assertTrue(seen.get(i).revision() > seen.get(i - 1).revision(), "out of order or twice: " + seen);
        }
        // Replaying the events gives the state a range reads now.
        Map<String, String> replayed = new TreeMap<>();
        for (KvEvent e : seen) {
            if (e.type() == KvEvent.Type.PUT) {
                replayed.put(e.key(), e.valueString());
            } else {
                replayed.remove(e.key());
            }
        }
        KvResult now = calls.call(KvCommand.range(KvRange.prefix("w/")));
        Map<String, String> read = new TreeMap<>();
        for (KvRangeResult.KeyValue kv : KvRangeResult.decode(now.body()).kvs()) {
            read.put(kv.key(), kv.valueString());
        }
        assertEquals(read, replayed);
    }
}
