package dev.linden.kvnode.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ReadIndexScenarioTest {

    @Test
    void readIsReleasedOnlyAfterAQuorumConfirmsLeadership() {
        Script s = Script.of(3).campaign(1).stabilize().tickAll(3).stabilize();
        s.propose(1, "w").stabilize().tickAll(3).stabilize();
        s.node(1).readIndex(7);
        s.collect(1);
        assertTrue(s.readStates.get(1).isEmpty(), "no answer before the heartbeat round");
        s.stabilize();
        assertEquals(List.of(new Ready.ReadState(7, s.node(1).commitIndex())), s.readStates.get(1));
    }

    @Test
    void partitionedLeaderNeverServesAndFailsTheReadWhenDeposed() {
        Script s = Script.of(3).campaign(1).stabilize().tickAll(3).stabilize();
        s.isolate(1);
        s.node(1).readIndex(42);
        s.collect(1);
        s.stabilize();
        assertTrue(s.readStates.get(1).isEmpty(), "a leader cut off from the quorum must not answer");

        // The other two elect a leader and commit a write the old leader never saw.
        s.expireLease(3).campaign(2).stabilize();
        s.propose(2, "new").stabilize().tickAll(3).stabilize();
        s.heal().tickAll(3).stabilize();
        assertEquals(Role.FOLLOWER, s.node(1).role());
        assertEquals(List.of(42L), s.failedReads.get(1));
        assertTrue(s.readStates.get(1).isEmpty());
    }

    @Test
    void newLeaderWaitsForItsOwnTermCommitBeforeAnsweringReads() {
        Script s = Script.of(3).campaign(1).stabilize().tickAll(3).stabilize();
        s.propose(1, "before").stabilize().tickAll(3).stabilize();
        s.isolate(1);
        s.expireLease(3).campaign(2);
        s.deliver(m -> m instanceof Message.VoteRequest).deliver(m -> m instanceof Message.VoteResponse);
        s.deliver(m -> m instanceof Message.VoteRequest).deliver(m -> m instanceof Message.VoteResponse);
        assertEquals(Role.LEADER, s.node(2).role());
        s.node(2).readIndex(1);
        s.collect(2);
        // Deliver only heartbeats: the no-op has not committed, so no read point exists yet.
        s.deliver(m -> m instanceof Message.HeartbeatRequest || m instanceof Message.HeartbeatResponse);
        assertTrue(s.readStates.get(2).isEmpty());
        s.stabilize().tickAll(2).stabilize();
        assertEquals(1, s.readStates.get(2).size());
        long readIndex = s.readStates.get(2).get(0).index();
        assertEquals(
                s.node(2).term(),
                s.node(2).termAt(readIndex),
                "the read index covers the new term's no-op and thus every earlier commit");
    }

    @Test
    void manyReadsShareOneHeartbeatRound() {
        Script s = Script.of(3).campaign(1).stabilize().tickAll(3).stabilize();
        s.sentLog.clear();
        for (long ctx = 1; ctx <= 100; ctx++) {
            s.node(1).readIndex(ctx);
        }
        s.collect(1);
        s.stabilize();
        assertEquals(100, s.readStates.get(1).size());
        long heartbeats = s.sentLog.stream()
                .filter(m -> m instanceof Message.HeartbeatRequest)
                .count();
        assertEquals(2, heartbeats, "one round to each of two followers");
    }

    @Test
    void singleNodeClusterServesReadsAlone() {
        Script s = Script.of(1).campaign(1);
        assertEquals(Role.LEADER, s.node(1).role());
        s.node(1).readIndex(5);
        s.collect(1);
        assertEquals(1, s.readStates.get(1).size());
    }
}
