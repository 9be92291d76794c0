package dev.linden.kvnode.kv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.linden.kvnode.node.StateMachine;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class KvStateMachineTest {
    private final KvStateMachine sm = new KvStateMachine(3, 4);
    private long index;

    private KvResult apply(KvCommand c) {
        return KvResult.decode(sm.apply(++index, c.encode()));
    }

    @Test
    void getPutDeleteCasAppend() {
        assertNull(apply(KvCommand.get("k")).value());
        assertEquals(KvResult.ok(null), apply(KvCommand.put("k", "1")), "a put does not echo its value");
        assertEquals(
                KvResult.Status.CAS_MISMATCH,
                apply(KvCommand.cas("k", "0", "2")).status());
        assertEquals("1", apply(KvCommand.cas("k", "0", "2")).value());
        assertEquals(KvResult.ok("2"), apply(KvCommand.cas("k", "1", "2")));
        assertEquals("2", apply(KvCommand.get("k")).value());
        assertEquals("2ab", apply(KvCommand.append("k", "ab")).value());
        assertEquals("x", apply(KvCommand.append("new", "x")).value());
        apply(KvCommand.delete("k"));
        assertNull(sm.get("k"));
        assertEquals(KvResult.ok("v"), apply(KvCommand.cas("k", null, "v")), "CAS from absent");
    }

    @Test
    void retriedCommandIsAppliedOnceAndAnsweredWithItsFirstResult() {
        KvCommand append = KvCommand.append("list", "a").withSession(7, 1, 0);
        KvResult first = apply(append);
        apply(KvCommand.append("list", "b").withSession(8, 1, 0));
        KvResult retry = apply(append);
        assertEquals(first, retry);
        assertEquals("ab", sm.get("list"), "the retry must not append again");
    }

    @Test
    void pipelinedCommandsOfOneSessionMayArriveOutOfOrder() {
        apply(KvCommand.append("l", "2").withSession(9, 2, 0));
        apply(KvCommand.append("l", "1").withSession(9, 1, 0));
        apply(KvCommand.append("l", "2").withSession(9, 2, 0));
        assertEquals("21", sm.get("l"));
    }

    @Test
    void acknowledgedResultsAreForgottenAndTheirRetriesRefused() {
        apply(KvCommand.append("l", "a").withSession(5, 1, 0));
        apply(KvCommand.append("l", "b").withSession(5, 2, 1));
        assertEquals(
                KvResult.Status.SESSION_EXPIRED,
                apply(KvCommand.append("l", "a").withSession(5, 1, 1)).status());
        assertEquals("ab", sm.get("l"));
    }

    @Test
    void resultCacheIsBoundedWithoutEverRunningACommandTwice() {
        for (int seq = 1; seq <= 10; seq++) {
            apply(KvCommand.append("l", "x").withSession(1, seq, 0));
        }
        assertEquals("xxxxxxxxxx", sm.get("l"));
        // seq 1 fell out of the 4-entry cache: its retry is refused, not re-run.
        assertEquals(
                KvResult.Status.SESSION_EXPIRED,
                apply(KvCommand.append("l", "x").withSession(1, 1, 0)).status());
        assertEquals(10, sm.get("l").length());
    }

    @Test
    void sessionCountIsBoundedAndEvictedSessionsCannotReExecute() {
        for (long client = 1; client <= 5; client++) {
            apply(KvCommand.append("l", "c" + client).withSession(client, 1, 0));
        }
        assertEquals(3, sm.sessionCount());
        // Client 1 was evicted; a retry that says it already had answers is refused.
        assertEquals(
                KvResult.Status.SESSION_EXPIRED,
                apply(KvCommand.append("l", "c1").withSession(1, 2, 1)).status());
    }

    @Test
    void commandsRoundTripThroughTheirEncoding() {
        KvCommand c = KvCommand.cas("ключ", null, "välue").withSession(42, 3, 2);
        assertEquals(c, KvCommand.decode(c.encode()));
        assertArrayEquals(c.encode(), KvCommand.decode(c.encode()).encode());
    }

    @Test
    void malformedCommandIsRefusedIdenticallyNotThrown() {
        KvResult r = KvResult.decode(sm.apply(++index, new byte[] {9, 9, 9}));
        assertEquals(KvResult.Status.MALFORMED, r.status());
    }

    @org.junit.jupiter.api.Test
    void aSnapshotCarriesDataAndSessionsSoRetriesStayExactlyOnce() {
        KvStateMachine a = new KvStateMachine();
        a.apply(1, KvCommand.put("x", "1").withSession(9, 1, 0).encode());
        a.apply(2, KvCommand.append("log", "a;").withSession(9, 2, 0).encode());
        a.apply(3, KvCommand.put("gone", "v").encode());
        a.apply(4, KvCommand.delete("gone").encode());
        byte[] snap = a.snapshot();

        KvStateMachine b = new KvStateMachine();
        b.restore(5, snap); // index 5: a no-op followed the last command
        org.junit.jupiter.api.Assertions.assertEquals(a.digest(), b.digest());
        org.junit.jupiter.api.Assertions.assertEquals(5, b.lastAppliedIndex());
        // The retried append is answered from the restored session instead of appending again.
        KvResult retried = KvResult.decode(
                b.apply(6, KvCommand.append("log", "a;").withSession(9, 2, 0).encode()));
        org.junit.jupiter.api.Assertions.assertEquals("a;", retried.value());
        org.junit.jupiter.api.Assertions.assertEquals("a;", b.get("log"));
    }

    @org.junit.jupiter.api.Test
    void aDamagedSnapshotIsRefused() {
        KvStateMachine a = new KvStateMachine();
        a.apply(1, KvCommand.put("x", "1").encode());
        byte[] snap = a.snapshot();
        snap[snap.length / 2] ^= 1;
        KvStateMachine b = new KvStateMachine();
        IllegalArgumentException e =
                org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> b.restore(1, snap));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("checksum"), e.getMessage());
        org.junit.jupiter.api.Assertions.assertEquals(0, b.size(), "nothing half-loaded");
    }

    @Test
    void idleSessionsExpireThroughTheLogAndALateRetryOfTheirFirstCommandNeverRunsAgain() {
        KvCommand first = KvCommand.append("list", "a").withSession(7, 1, 0);
        apply(KvCommand.expireSessions(1_000, 5_000));
        apply(first); // session 7 last active at log time 1000
        apply(KvCommand.expireSessions(4_000, 5_000));
        apply(KvCommand.append("list", "b").withSession(8, 1, 0)); // session 8 active at 4000
        assertEquals(KvResult.ok("1"), apply(KvCommand.expireSessions(7_000, 5_000)), "7 idle for 6 s expires");
        assertEquals(1, sm.sessionsExpired());
        // A late retry of 7's first command (acked seq 0) would recreate the session and append twice:
        // the tombstone answers SESSION_EXPIRED.
        assertEquals(KvResult.Status.SESSION_EXPIRED, apply(first).status());
        assertEquals("ab", sm.get("list"));
        // Session 8 lives: its retry is answered from its cache.
        assertEquals(
                "ab", apply(KvCommand.append("list", "b").withSession(8, 1, 0)).value());
    }

    @Test
    void sessionsOpenedBeforeTheFirstExpiryEntryCountFromItNotFrom1970() {
        // A new cluster: sessions open before any expiry entry, at log time 0. The first entry carries a wall
        // clock time; it must not take them for idle since 1970.
        apply(KvCommand.put("k", "v").withSession(5, 1, 0));
        assertEquals(KvResult.ok("0"), apply(KvCommand.expireSessions(1_700_000_000_000L, 300_000)));
        assertEquals(
                KvResult.Status.OK,
                apply(KvCommand.put("k", "w").withSession(5, 2, 1)).status());
        assertEquals("w", sm.get("k"));
        // Idle for longer than the time-to-live after that, it expires as any other.
        assertEquals(KvResult.ok("1"), apply(KvCommand.expireSessions(1_700_000_400_000L, 300_000)));
    }

    @Test
    void theLogsClockNeverGoesBackWhenALeaderWithASlowClockTakesOver() {
        apply(KvCommand.expireSessions(10_000, 1_000));
        apply(KvCommand.put("k", "v").withSession(9, 1, 0)); // active at 10000
        apply(KvCommand.expireSessions(3_000, 1_000)); // a new leader whose clock is 7 s behind
        assertEquals(10_000, sm.logTimeMillis());
        assertEquals(0, sm.sessionsExpired(), "nothing expires by a clock that went back");
    }

    @Test
    void expiryStateSurvivesASnapshotAndVersionOneSnapshotsStillLoad() {
        KvCommand first = KvCommand.append("list", "a").withSession(7, 1, 0);
        apply(KvCommand.expireSessions(1_000, 5_000));
        apply(first);
        apply(KvCommand.expireSessions(9_000, 5_000)); // 7 expires
        byte[] snap = sm.snapshot();
        KvStateMachine restored = new KvStateMachine(3, 4);
        restored.restore(index, snap);
        assertEquals(9_000, restored.logTimeMillis());
        assertEquals(
                KvResult.Status.SESSION_EXPIRED,
                KvResult.decode(restored.apply(index + 1, first.encode())).status(),
                "the tombstone came along");
        assertEquals(sm.digest(), restored.digest());
    }

    @Test
    void aGarbledExpiryEntryIsRefusedAndExpiresNothing() {
        apply(KvCommand.put("k", "v").withSession(9, 1, 0));
        KvResult r = apply(new KvCommand(KvOp.EXPIRE_SESSIONS, 0, 0, 0, "", "soon", null));
        assertEquals(KvResult.Status.MALFORMED, r.status());
        assertEquals(0, sm.sessionsExpired());
        assertEquals(1, sm.sessionCount());
    }

    @Test
    void aSnapshotViewEncodedLaterHoldsTheStateOfItsIndex() {
        KvStateMachine a = new KvStateMachine();
        for (int i = 1; i <= 200; i++) {
            a.apply(
                    i,
                    KvCommand.put("k" + (i % 37), "v" + i)
                            .withSession(5, i, i - 1)
                            .encode());
        }
        byte[] atTaking = a.snapshot();
        long digestAtTaking = a.digest();
        StateMachine.SnapshotView view = a.snapshotView();
        for (int i = 201; i <= 400; i++) {
            KvCommand c = i % 5 == 0 ? KvCommand.delete("k" + (i % 37)) : KvCommand.put("k" + (i % 37), "w" + i);
            a.apply(i, c.withSession(5, i, i - 1).encode());
        }
        byte[] encoded = view.encode(3);
        view.release();
        assertArrayEquals(atTaking, Arrays.copyOfRange(encoded, 3, encoded.length));

        KvStateMachine b = new KvStateMachine();
        b.restore(200, atTaking);
        assertEquals(digestAtTaking, b.digest());
        assertEquals("w399", a.get("k" + (399 % 37)), "the live state went on");
    }
}
