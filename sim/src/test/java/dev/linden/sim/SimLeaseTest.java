package dev.linden.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.harness.Scheduler;
import dev.linden.kvnode.kv.KvCommand;
import dev.linden.kvnode.kv.KvRange;
import dev.linden.kvnode.kv.KvRangeResult;
import dev.linden.kvnode.kv.KvResult;
import dev.linden.kvnode.kv.KvTxn;
import org.junit.jupiter.api.Test;

/**
 * Leases on the simulated cluster, through the real client core and the node's lease timer (issue 26): a key
 * attached to a lease kept alive survives a leader change (the new leader extends every lease it finds), and
 * once keep-alives stop it vanishes, never before the TTL after the last keep-alive was sent, and within the TTL
 * plus an election timeout and a few heartbeats.
 */
class SimLeaseTest {
    private static final long MS = SimCalls.MS;
    private static final long TTL_MS = 2_000;

    private SimCalls calls;

    private KvResult call(KvCommand c) {
        return calls.call(c);
    }

    private boolean present(String key) {
        KvResult r = call(KvCommand.range(KvRange.key(key)));
        return !KvRangeResult.decode(r.body()).kvs().isEmpty();
    }

    private void sleep(long millis) {
        calls.sleep(millis);
    }

    @Test
    void aLeaseKeptAliveOutlivesALeaderChangeAndExpiresNoEarlierThanItsTtl() {
        calls = new SimCalls(11, 3);
        Simulation sim = calls.sim;
        Scheduler clock = calls.clock;
        sleep(3_000);
        long id = Long.parseLong(call(KvCommand.leaseGrant(TTL_MS)).value());
        assertEquals(
                KvResult.Status.OK,
                call(KvCommand.txn(KvTxn.of(KvTxn.Op.put("held", "v", id)))).status());
        int firstLeader = sim.leader();
        long lastSent = 0;
        for (int i = 0; i < 16; i++) {
            if (i == 4) {
                sim.node(firstLeader).pause(); // long enough for the others to elect a new leader
            }
            if (i == 10) {
                sim.node(firstLeader).resume();
            }
            lastSent = clock.nowNanos();
            assertEquals(KvResult.Status.OK, call(KvCommand.leaseKeepAlive(id)).status(), "keep-alive " + i);
            assertTrue(present("held"), "the key vanished while its lease was kept alive (round " + i + ")");
            sleep(Math.max(0, 500 - (clock.nowNanos() - lastSent) / MS));
        }
        assertNotEquals(firstLeader, sim.leader(), "the leader changed while the lease was kept alive");
        long gone = 0;
        while (gone == 0 && clock.nowNanos() - lastSent < 10_000 * MS) {
            sleep(50);
            if (!present("held")) {
                gone = clock.nowNanos();
            }
        }
        assertTrue(gone > 0, "the key outlived its lease by 10 s");
        long afterMs = (gone - lastSent) / MS;
        assertTrue(afterMs >= TTL_MS, "the key vanished " + afterMs + " ms after the last keep-alive was sent");
        assertTrue(afterMs <= TTL_MS + 3_000, "the key vanished only " + afterMs + " ms after it");
        assertEquals(
                KvResult.Status.NOT_FOUND, call(KvCommand.leaseKeepAlive(id)).status());
    }
}
