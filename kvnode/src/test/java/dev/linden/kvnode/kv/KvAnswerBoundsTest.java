package dev.linden.kvnode.kv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Issue 24, finding 1: the answers kept for exactly-once retries are bounded in bytes per session and in
 * total, dropped identically on every replica (a restored one included), never by running a command twice.
 */
class KvAnswerBoundsTest {
    /** Bounds as small as the constructor allows: one largest answer per session, three in all. */
    private static final long PER_SESSION = KvStateMachine.MAX_ANSWER_COST_BYTES;

    private static final long TOTAL = 3 * PER_SESSION;
    /** A value whose answer costs more than half a session's bound: two of them never fit together. */
    private static final String BIG = "v".repeat(600_000);

    private static final long BIG_ANSWER_COST = 1 + 4 + BIG.length() + KvStateMachine.ANSWER_OVERHEAD_BYTES;

    private KvStateMachine sm = new KvStateMachine(100, 4096, PER_SESSION, TOTAL);
    private long index;

    private KvResult apply(KvCommand c) {
        return KvResult.decode(sm.apply(++index, c.encode()));
    }

    private static KvCommand mismatch(long client, long seq) {
        return KvCommand.cas("big", "not-it", "x").withSession(client, seq, 0);
    }

    @Test
    void aSessionKeepsOnlyTheNewestAnswersWithinItsBytesAndRetriesOfDroppedOnesAreNotRun() {
        apply(KvCommand.put("big", BIG));
        assertEquals(KvResult.Status.CAS_MISMATCH, apply(mismatch(1, 1)).status());
        KvResult second = apply(mismatch(1, 2));
        assertEquals(BIG, second.value(), "the first attempt always gets its whole answer");
        assertEquals(BIG_ANSWER_COST, sm.answerBytes(), "only seq 2's answer fits the session's bound");
        assertEquals(1, sm.answersEvicted());

        KvResult retried = apply(mismatch(1, 1));
        assertEquals(KvResult.Status.SESSION_EXPIRED, retried.status(), "seq 1's answer was dropped");
        assertTrue(retried.value().contains("dropped to keep the session's answers bounded"), retried.value());
        assertEquals(second, apply(mismatch(1, 2)), "a kept answer is the first attempt's");

        // A CAS whose answer was dropped and that would now succeed must still not run a second time.
        apply(KvCommand.append("l", "a").withSession(2, 1, 0));
        apply(KvCommand.put("big", "not-it"));
        assertEquals(KvResult.Status.SESSION_EXPIRED, apply(mismatch(1, 1)).status());
        assertEquals("not-it", sm.get("big"));
    }

    @Test
    void overTheTotalTheSessionHoldingMostBytesLosesItsOldestAnswerTiesByLowestClientId() {
        sm = new KvStateMachine(100, 4096, PER_SESSION, PER_SESSION); // room for one big answer in all
        apply(KvCommand.put("big", BIG));
        apply(KvCommand.put("small", "s"));
        apply(KvCommand.cas("small", "no", "x").withSession(3, 1, 0)); // session 3 holds least, lowest id
        apply(mismatch(9, 1));
        apply(mismatch(7, 1)); // over the total: sessions 7 and 9 hold the most, 7 is the lower id
        assertTrue(sm.answerBytes() <= PER_SESSION, "total " + sm.answerBytes());
        assertEquals(KvResult.Status.SESSION_EXPIRED, apply(mismatch(7, 1)).status());
        assertEquals(BIG, apply(mismatch(9, 1)).value());
        assertEquals(
                "s",
                apply(KvCommand.cas("small", "no", "x").withSession(3, 1, 0)).value(),
                "the session holding least keeps its answer, though its id is lowest");
        apply(mismatch(5, 1)); // 5 and 9 tie now: 5 loses the answer it just got
        assertEquals(KvResult.Status.SESSION_EXPIRED, apply(mismatch(5, 1)).status());
        assertEquals(BIG, apply(mismatch(9, 1)).value());
        assertEquals("s", sm.get("small"));
        assertEquals(BIG, sm.get("big"));
    }

    @Test
    void acknowledgedAndExpiredAnswersGiveTheirBytesBack() {
        apply(KvCommand.put("big", BIG));
        apply(mismatch(1, 1));
        assertEquals(BIG_ANSWER_COST, sm.answerBytes());
        apply(KvCommand.put("k", "v").withSession(1, 2, 1)); // acknowledges seq 1
        assertEquals(5 + KvStateMachine.ANSWER_OVERHEAD_BYTES, sm.answerBytes());
        apply(KvCommand.expireSessions(10_000, 1_000));
        apply(KvCommand.expireSessions(20_000, 1_000));
        assertEquals(0, sm.sessionCount());
        assertEquals(0, sm.answerBytes());
        assertEquals(sm.storedBytes(), sm.usedBytes());
    }

    @Test
    void aGetWithASessionIsNeitherCachedNorCounted() {
        apply(KvCommand.put("big", BIG));
        KvResult read = apply(KvCommand.get("big").withSession(4, 1, 0));
        assertEquals(BIG, read.value());
        assertEquals(0, sm.answerBytes());
        assertEquals(0, sm.sessionCount());
    }

    @Test
    void boundsTooSmallForOneLargestAnswerAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new KvStateMachine(10, 10, 1 << 20, 8 << 20));
        assertThrows(IllegalArgumentException.class, () -> new KvStateMachine(10, 10, PER_SESSION, PER_SESSION - 1));
    }

    /**
     * Two replicas fed the same commands, and a third restored from the first's snapshot midway, answer
     * every command with the same bytes and end with the same data and the same kept answers.
     */
    @Test
    void replicasAndARestoredReplicaDropTheSameAnswers() {
        SplittableRandom r = new SplittableRandom(24);
        List<KvCommand> commands = new ArrayList<>();
        long[] nextSeq = new long[6];
        for (int i = 0; i < 400; i++) {
            int client = 1 + r.nextInt(5);
            int pick = r.nextInt(10);
            KvCommand c;
            if (pick < 2) {
                c = KvCommand.put("k" + r.nextInt(3), "v".repeat(r.nextInt(300_000)));
            } else if (pick < 5) {
                c = KvCommand.cas("k" + r.nextInt(3), "nope", "x");
            } else if (pick < 7) {
                c = KvCommand.append("k" + r.nextInt(3), "a".repeat(r.nextInt(50_000)));
            } else if (pick < 9 && nextSeq[client] > 0) {
                // A retry of an earlier command of the session, as sent the first time.
                long seq = 1 + r.nextInt((int) nextSeq[client]);
                for (int j = commands.size() - 1; j >= 0; j--) {
                    KvCommand old = commands.get(j);
                    if (old.clientId() == client && old.seq() == seq) {
                        commands.add(old);
                        break;
                    }
                }
                continue;
            } else {
                c = KvCommand.delete("k" + r.nextInt(3));
            }
            long seq = ++nextSeq[client];
            long acked = r.nextInt(4) == 0 ? Math.max(0, seq - 1 - r.nextInt(3)) : 0;
            commands.add(c.withSession(client, seq, acked));
        }
        KvStateMachine a = new KvStateMachine(3, 8, PER_SESSION, TOTAL);
        KvStateMachine b = new KvStateMachine(3, 8, PER_SESSION, TOTAL);
        KvStateMachine restored = new KvStateMachine(3, 8, PER_SESSION, TOTAL);
        int half = commands.size() / 2;
        for (int i = 0; i < commands.size(); i++) {
            byte[] cmd = commands.get(i).encode();
            byte[] ra = a.apply(i + 1, cmd);
            assertArrayEquals(ra, b.apply(i + 1, cmd), "answer of command " + (i + 1));
            if (i + 1 == half) {
                restored.restore(half, a.snapshot());
                assertEquals(a.sessionDigest(), restored.sessionDigest());
                assertEquals(a.answerBytes(), restored.answerBytes());
            } else if (i + 1 > half) {
                assertArrayEquals(ra, restored.apply(i + 1, cmd), "restored replica's answer of command " + (i + 1));
            }
            assertTrue(a.answerBytes() <= TOTAL);
        }
        assertTrue(a.answersEvicted() > 0, "the commands must exercise the bounds");
        assertEquals(a.digest(), b.digest());
        assertEquals(a.sessionDigest(), b.sessionDigest());
        assertEquals(a.digest(), restored.digest());
        assertEquals(a.sessionDigest(), restored.sessionDigest());
        assertEquals(a.answerBytes(), restored.answerBytes());
    }

    /** A snapshot whose answers exceed the bounds (written before they existed) loads within them. */
    @Test
    void aSnapshotOverTheBoundsIsBroughtWithinThemOnLoad() {
        KvStateMachine unbounded = new KvStateMachine(100, 4096, 64L << 20, 64L << 20);
        long i = 0;
        unbounded.apply(++i, KvCommand.put("big", BIG).encode());
        for (long seq = 1; seq <= 5; seq++) {
            unbounded.apply(++i, mismatch(1, seq).encode());
        }
        assertEquals(5 * BIG_ANSWER_COST, unbounded.answerBytes());
        sm.restore(i, unbounded.snapshot());
        assertEquals(BIG_ANSWER_COST, sm.answerBytes(), "only the newest answer fits one session's bound");
        index = i;
        assertEquals(KvResult.Status.SESSION_EXPIRED, apply(mismatch(1, 4)).status());
        assertEquals(BIG, apply(mismatch(1, 5)).value());
    }
}
