package dev.linden.kvnode.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A follower that comes back with less log than it acknowledged (its disk lost the tail, or an operator
 * put an empty data dir in place) must be repaired by the leader that is still in charge: the leader's
 * recorded match index for it is no longer true, and a rejection below it is the evidence.
 */
class FollowerRepairScenarioTest {
    private static Script replicated(int writes) {
        Script s = Script.of(3).campaign(1).stabilize();
        for (int i = 0; i < writes; i++) {
            s.propose(1, "w" + i);
        }
        s.stabilize().tickAll(3).stabilize();
        assertEquals(s.node(1).lastIndex(), s.node(3).commitIndex(), "all caught up before the loss");
        return s;
    }

    @Test
    void aFollowerThatLostItsLogTailCatchesUpUnderTheSameLeader() {
        Script s = replicated(10);
        long leaderLast = s.node(1).lastIndex();
        List<Entry> log3 = s.durableLogs.get(3);
        s.durableLogs.put(3, new ArrayList<>(log3.subList(0, 4))); // the tail is gone
        s.restart(3, RaftConfig.defaults());
        s.propose(1, "after");
        for (int round = 0; round < 10; round++) {
            s.tickAll(3).stabilize();
        }
        assertEquals(1, s.node(1).leaderId(), "the leader stayed the same");
        assertEquals(
                s.node(1).lastIndex(), s.node(3).lastIndex(), () -> s.node(1).describeProgress());
        assertEquals(leaderLast + 1, s.node(3).commitIndex());
        assertEquals(
                s.appliedCommands(1),
                s.appliedCommands(3).subList(0, s.appliedCommands(3).size()));
    }

    @Test
    void aFollowerWithAnEmptyLogCatchesUpUnderTheSameLeader() {
        Script s = replicated(6);
        s.durableLogs.put(3, new ArrayList<>());
        s.hardStates.put(3, HardState.INITIAL);
        s.restart(3, RaftConfig.defaults());
        s.propose(1, "after");
        for (int round = 0; round < 10; round++) {
            s.tickAll(3).stabilize();
        }
        assertEquals(1, s.node(1).leaderId());
        assertEquals(
                s.node(1).lastIndex(), s.node(3).lastIndex(), () -> s.node(1).describeProgress());
        assertEquals(s.node(1).commitIndex(), s.node(3).commitIndex());
        // Once repaired it counts for commits again: with node 2 away, node 1 and 3 still commit.
        s.isolate(2);
        s.propose(1, "without-2");
        s.tickAll(3).stabilize();
        assertTrue(s.appliedCommands(1).contains("without-2"), "leader and repaired follower form a quorum");
        s.tickAll(3).stabilize(); // the follower learns the commit index with the next append
        assertTrue(s.appliedCommands(3).contains("without-2"));
    }

    @Test
    void anIdleLeaderNoticesTheLossFromHeartbeatAnswersAndRepairsTheFollower() {
        Script s = replicated(10);
        long commit = s.node(1).commitIndex();
        s.durableLogs.put(3, new ArrayList<>(s.durableLogs.get(3).subList(0, 3)));
        s.restart(3, RaftConfig.defaults());
        for (int round = 0; round < 10; round++) {
            s.tickAll(3).stabilize(); // heartbeats only: nothing new is proposed
        }
        assertEquals(1, s.node(1).leaderId());
        assertEquals(commit, s.node(3).commitIndex(), () -> s.node(1).describeProgress());
        assertEquals(s.appliedCommands(1), s.appliedCommands(3));
    }
}
