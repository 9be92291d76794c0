package dev.linden.kvnode.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The case found by hand on real processes: A leads, B and C follow, C lags; writes commit on A and B.
 * B's disk loses the tail of its log and A dies. Without a record of the loss, B votes (or is elected)
 * with the shorter log and committed writes are gone. With it ({@link LostLog}), B abstains, nobody is
 * elected until A is back, and B votes again only once a leader of a later term has repaired its log.
 */
class LostLogScenarioTest {
    private static final int A = 1;
    private static final int B = 2;
    private static final int C = 3;

    /** A leads; C is cut off while 10 writes commit on A and B; returns the script. */
    private static Script committedOnAAndB() {
        Script s = Script.of(3).campaign(A).stabilize();
        s.isolate(C);
        for (int i = 0; i < 10; i++) {
            s.propose(A, "w" + i);
        }
        s.stabilize().tickAll(3).stabilize();
        assertTrue(s.appliedCommands(A).contains("w9"), "committed on A and B");
        assertFalse(s.durableLogs.get(C).size() > 2, "C lags");
        return s;
    }

    /** B restarts after its log lost everything past its first two entries. */
    private static void bLosesItsTail(Script s, boolean lossOnRecord) {
        HardState hs = s.hardStates.get(B);
        s.durableLogs.put(B, new ArrayList<>(s.durableLogs.get(B).subList(0, 2)));
        // What the WAL's recovery writes when it finds the loss: the term moved past it, the loss on record.
        s.hardStates.put(B, lossOnRecord ? new HardState(hs.term() + 1, RaftCore.NO_NODE, hs.term()) : hs);
        s.restart(B, RaftConfig.defaults());
    }

    private static int leaderAmong(Script s, int... ids) {
        for (int id : ids) {
            if (s.node(id).role == Role.LEADER) {
                return id;
            }
        }
        return RaftCore.NO_NODE;
    }

    private static void run(Script s, int rounds) {
        for (int i = 0; i < rounds; i++) {
            s.tickAll(3).stabilize();
        }
    }

    @Test
    void withoutARecordOfTheLossCommittedWritesAreLost() {
        Script s = committedOnAAndB();
        bLosesItsTail(s, false);
        s.heal();
        s.isolate(A); // A died
        run(s, 40);
        int leader = leaderAmong(s, B, C);
        assertNotEquals(RaftCore.NO_NODE, leader, "B and C elect a leader from logs that lack the writes");
        s.propose(leader, "after");
        run(s, 5);
        assertFalse(s.appliedCommands(leader).contains("w9"), "the danger this guards against is real");
    }

    @Test
    void aNodeThatLostAcknowledgedLogAbstainsUntilALaterLeaderRepairsIt() {
        Script s = committedOnAAndB();
        bLosesItsTail(s, true);
        assertTrue(s.node(B).lostLog.abstaining());
        s.heal();
        s.isolate(A); // A died
        run(s, 40);
        assertEquals(RaftCore.NO_NODE, leaderAmong(s, B, C), "B neither votes for C nor campaigns");

        s.heal(); // A is back: A and C elect A (its log holds the writes), and A's new term repairs B
        run(s, 40);
        int leader = leaderAmong(s, A, B, C);
        assertEquals(A, leader);
        assertFalse(s.node(B).lostLog.abstaining(), "repaired by an entry of a later term");
        assertEquals(0, s.hardStates.get(B).lostThroughTerm(), "the repair is durable");

        s.isolate(A); // A dies again: B votes again, and whoever wins holds every committed write
        run(s, 40);
        int next = leaderAmong(s, B, C);
        assertNotEquals(RaftCore.NO_NODE, next);
        s.propose(next, "after");
        run(s, 5);
        List<String> applied = s.appliedCommands(next);
        for (int i = 0; i < 10; i++) {
            assertTrue(applied.contains("w" + i), "w" + i + " kept: " + applied);
        }
    }

    @Test
    void aLeaderOfTheTermOfTheLossStepsDownAtTheDamagedNodesFirstAnswer() {
        Script s = committedOnAAndB();
        s.heal();
        run(s, 5);
        long termBefore = s.node(A).term();
        bLosesItsTail(s, true);
        run(s, 40);
        int leader = leaderAmong(s, A, B, C);
        assertNotEquals(RaftCore.NO_NODE, leader);
        assertNotEquals(B, leader, "B never campaigns while it abstains");
        assertTrue(s.node(leader).term() > termBefore, "a term after the loss's, so B can be repaired");
        assertFalse(s.node(B).lostLog.abstaining());
        assertEquals(s.node(leader).lastIndex(), s.node(B).lastIndex());
    }
}
