package dev.linden.kvnode.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Leases in the state machine (issue 26): what replicas agree on, changed only by entries. */
class KvLeaseTest {
    private final KvStateMachine sm = new KvStateMachine();
    private long index;

    private KvResult apply(KvCommand c) {
        return KvResult.decode(sm.apply(++index, c.encode()));
    }

    private long grant(long ttl) {
        KvResult r = apply(KvCommand.leaseGrant(ttl));
        assertEquals(KvResult.Status.OK, r.status(), r.value());
        return Long.parseLong(r.value());
    }

    private void putLeased(String key, long lease) {
        assertEquals(
                KvResult.Status.OK,
                apply(KvCommand.txn(KvTxn.of(KvTxn.Op.put(key, "v", lease)))).status());
    }

    @Test
    void aRevokedLeaseTakesItsKeysAtOneRevisionAndIsGoneAfter() {
        long id = grant(5_000);
        assertEquals(index, id, "a lease's id is its grant's index");
        putLeased("a", id);
        putLeased("b", id);
        apply(KvCommand.put("c", "free"));
        assertEquals(Map.of(id, new KvLeases.Lease(5_000, id)), sm.leases());
        long before = sm.revision();
        assertEquals(KvResult.ok("2"), apply(KvCommand.leaseRevoke(id)));
        assertEquals(before + 1, sm.revision(), "both deletes in one revision");
        assertNull(sm.get("a"));
        assertNull(sm.get("b"));
        assertEquals("free", sm.get("c"));
        assertEquals(
                KvResult.Status.NOT_FOUND, apply(KvCommand.leaseKeepAlive(id)).status());
        assertEquals(KvResult.Status.NOT_FOUND, apply(KvCommand.leaseRevoke(id)).status());
        KvResult orphan = apply(KvCommand.txn(KvTxn.of(KvTxn.Op.put("x", "1"), KvTxn.Op.put("y", "1", id))));
        assertEquals(KvResult.Status.NOT_FOUND, orphan.status());
        assertNull(sm.get("x"), "a transaction naming a lease that is gone changes nothing");
    }

    @Test
    void aPlainPutDetachesItsKeyAndADeleteForgetsIt() {
        long id = grant(5_000);
        putLeased("kept", id);
        putLeased("gone", id);
        putLeased("deleted", id);
        apply(KvCommand.put("kept", "again"));
        putLeased("swapped", id);
        apply(KvCommand.cas("swapped", "v", "w")); // a CAS writes as a put does: the key leaves the lease
        apply(KvCommand.append("gone", "+")); // an append keeps the lease
        apply(KvCommand.delete("deleted"));
        assertEquals(KvResult.ok("1"), apply(KvCommand.leaseRevoke(id)));
        assertEquals("again", sm.get("kept"));
        assertEquals("w", sm.get("swapped"));
        assertNull(sm.get("gone"));
    }

    @Test
    void anExpiryEntryExpiresOnlyLeasesNotKeptAliveSinceTheLeaderJudged() {
        long a = grant(1_000);
        long b = grant(1_000);
        putLeased("ka", a);
        putLeased("kb", b);
        assertEquals(KvResult.ok("1000"), apply(KvCommand.leaseKeepAlive(b)));
        long bRefreshed = index;
        // The leader judged both by their grants; b was kept alive since: only a expires.
        assertEquals(KvResult.ok("1"), apply(KvCommand.leaseExpire(a + ":" + a + "," + b + ":" + b)));
        assertNull(sm.get("ka"));
        assertEquals("v", sm.get("kb"));
        assertEquals(new KvLeases.Lease(1_000, bRefreshed), sm.leases().get(b));
        assertEquals(KvResult.ok("1"), apply(KvCommand.leaseExpire(b + ":" + bRefreshed)));
        assertNull(sm.get("kb"));
        assertEquals(
                KvResult.Status.MALFORMED,
                apply(KvCommand.leaseExpire("nonsense")).status());
    }

    @Test
    void grantsAreBoundedAndARetriedGrantAnswersTheSameLease() {
        assertEquals(KvResult.Status.MALFORMED, apply(KvCommand.leaseGrant(0)).status());
        assertEquals(
                KvResult.Status.MALFORMED,
                apply(KvCommand.leaseGrant(KvLeases.MAX_TTL_MILLIS + 1)).status());
        KvCommand g = KvCommand.leaseGrant(3_000).withSession(5, 1, 0);
        KvResult first = apply(g);
        KvResult retry = apply(g);
        assertEquals(first, retry);
        assertEquals(1, sm.leases().size(), "the retry granted nothing more");
    }

    @Test
    void aSnapshotCarriesLeasesAndTheirKeys() {
        long id = grant(4_000);
        putLeased("a", id);
        apply(KvCommand.leaseKeepAlive(id));
        apply(KvCommand.put("b", "plain"));
        KvStateMachine restored = new KvStateMachine();
        restored.restore(index, sm.snapshot());
        assertEquals(sm.leases(), restored.leases());
        assertEquals(sm.digest(), restored.digest());
        KvResult revoked = KvResult.decode(
                restored.apply(index + 1, KvCommand.leaseRevoke(id).encode()));
        assertEquals(KvResult.ok("1"), revoked);
        assertNull(restored.get("a"));
        assertNotNull(restored.get("b"));
        sm.apply(++index, KvCommand.leaseRevoke(id).encode());
        assertEquals(sm.digest(), restored.digest());
        assertEquals(List.of(), List.copyOf(restored.leases().keySet()));
    }
}
