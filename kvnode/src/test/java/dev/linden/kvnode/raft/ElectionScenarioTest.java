package dev.linden.kvnode.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ElectionScenarioTest {

    @Test
    void nodeThatCampaignsWinsAndEveryoneFollowsIt() {
        Script s = Script.of(3).campaign(1).stabilize();

        assertEquals(Role.LEADER, s.node(1).role());
        assertEquals(1, s.node(1).term());
        for (int id = 2; id <= 3; id++) {
            assertEquals(Role.FOLLOWER, s.node(id).role());
            assertEquals(1, s.node(id).leaderId());
            assertEquals(1, s.hardStates.get(id).votedFor(), "vote must be persisted");
        }
        // The new leader's no-op is committed and applied everywhere.
        s.tickAll(3).stabilize();
        for (int id = 1; id <= 3; id++) {
            assertEquals(1, s.node(id).commitIndex());
        }
    }

    @Test
    void splitVoteResolvesWithANewTerm() {
        RaftConfig noPreVote = RaftConfig.defaults().withPreVote(false).withCheckQuorum(false);
        Script s = new Script(4, noPreVote);
        s.campaign(1).campaign(2);
        // 1 hears from 3, 2 hears from 4: two votes each, three needed.
        s.deliver(m -> (m.from() == 1 && m.to() == 3) || (m.from() == 2 && m.to() == 4));
        s.deliver(m -> m instanceof Message.VoteResponse);
        s.drop(m -> m instanceof Message.VoteRequest);
        s.stabilize();
        assertEquals(Role.CANDIDATE, s.node(1).role());
        assertEquals(Role.CANDIDATE, s.node(2).role());
        assertEquals(1, s.node(1).term());

        // Randomized timeouts break the tie: the first to time out wins term 2.
        int winner = 0;
        for (int tick = 0; tick < 100 && winner == 0; tick++) {
            s.tickAll(1).stabilize();
            for (int id = 1; id <= 4; id++) {
                if (s.node(id).role() == Role.LEADER) {
                    winner = id;
                }
            }
        }
        assertTrue(winner != 0, "someone must win after the split vote");
        assertTrue(s.node(winner).term() >= 2);
    }

    @Test
    void preVoteKeepsAPartitionedNodeFromInflatingTerms() {
        Script s = Script.of(3).campaign(1).stabilize();
        s.isolate(3).tick(3, 200).stabilize();
        assertEquals(1, s.node(3).term(), "pre-votes never raise the term");
        s.heal().tickAll(5).stabilize();
        assertEquals(Role.LEADER, s.node(1).role(), "the returning node does not depose the leader");
        assertEquals(1, s.node(1).term());
    }

    @Test
    void leaderWithoutQuorumStepsDown() {
        Script s = Script.of(3).campaign(1).stabilize();
        s.isolate(1).tick(1, 2 * s.node(1).config().electionTimeoutTicks() + 1);
        assertEquals(Role.FOLLOWER, s.node(1).role());
    }

    @Test
    void nodeVotesOncePerTerm() {
        RaftConfig noPreVote = RaftConfig.defaults().withPreVote(false).withCheckQuorum(false);
        Script s = new Script(3, noPreVote);
        s.campaign(1).campaign(2);
        // Node 3 sees 1's request first, then 2's: it grants only the first.
        s.deliver(m -> m.to() == 3 && m.from() == 1).deliver(m -> m.to() == 3 && m.from() == 2);
        long grantsFrom3 = s.sentLog.stream()
                .filter(m -> m instanceof Message.VoteResponse vr && vr.granted() && vr.from() == 3)
                .count();
        assertEquals(1, grantsFrom3);
        assertEquals(1, s.hardStates.get(3).votedFor());
    }

    @Test
    void outdatedLogCannotWin() {
        Script s = Script.of(3).campaign(1).stabilize();
        s.isolate(3);
        s.propose(1, "a").stabilize().tickAll(3).stabilize();
        s.heal();
        s.isolate(1);
        s.campaign(3).stabilize();
        assertTrue(s.node(3).role() != Role.LEADER, "node 3 lacks committed entry 'a' and must lose");
        s.campaign(2).stabilize();
        assertEquals(Role.LEADER, s.node(2).role());
    }

    @Test
    void twoLeadersInOneTermFailLoudly() {
        Script s = Script.of(3).campaign(1).stabilize();
        RaftCore leader = s.node(1);
        Message.AppendRequest forged = new Message.AppendRequest(2, 1, leader.term(), 0, 0, List.of(), 0);
        InvariantViolation e = assertThrows(InvariantViolation.class, () -> leader.step(forged));
        assertTrue(e.getMessage().contains("two leaders"), e.getMessage());
        assertTrue(e.getMessage().contains("node 1"), e.getMessage());
    }

    @Test
    void termAndVoteSurviveRestart() {
        Script s = Script.of(3).campaign(1).stabilize();
        s.restart(2, RaftConfig.defaults());
        assertEquals(1, s.node(2).term());
        assertEquals(1, s.node(2).votedFor());
    }
}
