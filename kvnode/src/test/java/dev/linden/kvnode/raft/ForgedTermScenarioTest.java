package dev.linden.kvnode.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Found by hand on real processes: one forged heartbeat of term 2^63-1 set every node to that term for good
 * ({@code term + 1} overflows, so no election could succeed again, and restarts did not help). A term no
 * real cluster reaches is dropped, and the cluster goes on electing and committing.
 */
class ForgedTermScenarioTest {
    @Test
    void aMessageOfAnAbsurdTermIsDroppedAndElectionsStillWork() {
        Script s = Script.of(3).campaign(1).stabilize();
        long before = s.node(2).term();
        for (long forged : new long[] {Long.MAX_VALUE, TermRules.MAX_TERM + 1, -5}) {
            s.node(2).step(new Message.HeartbeatRequest(3, 2, forged, 0, 0));
            s.node(3).step(new Message.VoteRequest(2, 3, forged, false, 1 << 30, forged));
        }
        assertEquals(before, s.node(2).term(), "the forged term was not believed");
        assertEquals(before, s.node(3).term());
        s.isolate(1); // the leader goes: the others must still be able to elect one of them
        for (int i = 0; i < 30; i++) {
            s.tickAll(3).stabilize();
        }
        int leader = s.node(2).role == Role.LEADER ? 2 : s.node(3).role == Role.LEADER ? 3 : 0;
        assertTrue(leader != 0, "nodes 2 and 3 elect a leader");
        assertTrue(
                s.node(leader).term() < 100,
                "an ordinary term: " + s.node(leader).term());
        s.propose(leader, "after");
        s.tickAll(3).stabilize();
        assertTrue(s.appliedCommands(leader).contains("after"));
    }
}
