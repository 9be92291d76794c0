package dev.linden.kvnode.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ReplicationScenarioTest {

    @Test
    void proposalsCommitAndApplyEverywhereInOrder() {
        Script s = Script.of(3).campaign(1).stabilize();
        for (int i = 0; i < 20; i++) {
            s.propose(1, "cmd" + i);
        }
        s.stabilize().tickAll(3).stabilize();
        for (int id = 1; id <= 3; id++) {
            assertEquals(20, s.appliedCommands(id).size());
            assertEquals("cmd0", s.appliedCommands(id).get(0));
            assertEquals(s.appliedCommands(1), s.appliedCommands(id));
        }
    }

    @Test
    void followerAcksOnlyWhatIsDurable() {
        Script s = Script.of(3).campaign(1).stabilize();
        s.autoSync = false;
        s.sync(1).sync(2).sync(3).stabilize();
        long before = s.node(1).commitIndex();
        s.propose(1, "x");
        s.deliver(m -> m instanceof Message.AppendRequest);
        // Followers received the entry but have not fsynced it: no ack, no commit.
        assertTrue(s.inFlight.stream()
                .noneMatch(m -> m instanceof Message.AppendResponse ar && ar.success() && ar.matchIndex() > before));
        s.sync(1);
        assertEquals(before, s.node(1).commitIndex(), "the leader's own fsync alone is not a quorum");
        s.sync(2).deliver(m -> m instanceof Message.AppendResponse);
        assertEquals(before + 1, s.node(1).commitIndex());
    }

    @Test
    void leaderSendsBeforeItsOwnFsyncCompletes() {
        Script s = Script.of(3).campaign(1).stabilize();
        s.autoSync = false;
        s.sync(1).sync(2).sync(3).stabilize();
        s.propose(1, "parallel");
        // The entry is both in the leader's unsynced write queue and already on the wire.
        assertEquals(1, s.unsynced.get(1).size());
        assertTrue(s.inFlight.stream()
                .anyMatch(m ->
                        m instanceof Message.AppendRequest ar && !ar.entries().isEmpty()));
        // Two followers fsync and ack: that is a quorum even though the leader's disk is still busy.
        s.deliver(m -> m instanceof Message.AppendRequest).sync(2).sync(3).deliver(m -> true);
        assertEquals(s.node(1).lastIndex(), s.node(1).commitIndex());
        assertTrue(s.node(1).durableIndex() < s.node(1).commitIndex());
    }

    @Test
    void conflictingSuffixIsRepairedByTheNewLeader() {
        Script s = Script.of(3).campaign(1).stabilize();
        s.propose(1, "common").stabilize().tickAll(3).stabilize();
        // Leader 1 is cut off and appends entries nobody else gets.
        s.isolate(1);
        s.propose(1, "lost1").propose(1, "lost2").propose(1, "lost3");
        s.stabilize();
        // 2 wins a new term (once 3's lease on leader 1 ran out) and writes its own entries.
        s.expireLease(3).campaign(2).stabilize();
        assertEquals(Role.LEADER, s.node(2).role());
        s.propose(2, "kept1").propose(2, "kept2").stabilize();
        s.heal().tickAll(3).stabilize().tickAll(3).stabilize();

        assertEquals(Role.FOLLOWER, s.node(1).role());
        for (int id = 1; id <= 3; id++) {
            assertEquals(List.of("common", "kept1", "kept2"), s.appliedCommands(id), "node " + id);
        }
        assertEquals(s.node(2).lastIndex(), s.node(1).lastIndex());
        for (long i = 1; i <= s.node(2).lastIndex(); i++) {
            assertEquals(s.node(2).entryAt(i), s.node(1).entryAt(i), "log matching at " + i);
        }
    }

    @Test
    void fastBackOffSkipsAWholeTermPerRoundTrip() {
        Script s = Script.of(3).campaign(1).stabilize();
        s.isolate(1);
        for (int i = 0; i < 50; i++) {
            s.propose(1, "stale" + i);
        }
        s.stabilize();
        s.expireLease(3).campaign(2).stabilize();
        s.propose(2, "new").stabilize();
        s.sentLog.clear();
        s.heal().tickAll(3).stabilize();
        long rejects = s.sentLog.stream()
                .filter(m -> m instanceof Message.AppendResponse ar && !ar.success() && ar.from() == 1)
                .count();
        assertTrue(rejects <= 2, "expected at most 2 rejections with fast back-off, got " + rejects);
    }

    /**
     * Raft Figure 8: an entry from an earlier term that reaches a majority is not committed by counting
     * replicas; only an entry of the leader's own term commits (and with it all before it).
     */
    @Test
    void figure8OldTermEntryIsNotCommittedByCounting() {
        RaftConfig oneEntryPerAppend =
                RaftConfig.defaults().withBatchLimits(1, 1 << 20).withCheckQuorum(false);
        Script s = new Script(5, oneEntryPerAppend);
        s.campaign(1).stabilize().tickAll(3).stabilize();
        long x = s.node(1).lastIndex() + 1;

        // (a) Leader 1 (term 1) replicates X to node 2 only.
        s.propose(1, "X").deliver(m -> m instanceof Message.AppendRequest && m.to() == 2);
        s.drop(m -> m instanceof Message.AppendRequest).deliver(m -> true);
        assertEquals(x, s.node(2).lastIndex());
        assertTrue(s.node(1).commitIndex() < x);

        // (b) Node 5 wins term 2 with votes from 3 and 4; its no-op takes index x but reaches nobody.
        s.campaign(5);
        for (int round = 0; round < 2; round++) {
            s.deliver(m -> m instanceof Message.VoteRequest && (m.to() == 3 || m.to() == 4));
            s.drop(m -> m instanceof Message.VoteRequest).deliver(m -> m instanceof Message.VoteResponse);
        }
        assertEquals(Role.LEADER, s.node(5).role());
        assertEquals(2, s.node(5).termAt(x));
        s.isolate(5).stabilize();

        // (c) Node 1 crashes and restarts with X on disk, then wins a later term with votes from 2, 3
        // and 4 and starts re-replicating X.
        s.restart(1, oneEntryPerAppend);
        for (int attempt = 0; attempt < 3 && s.node(1).role() != Role.LEADER; attempt++) {
            s.campaign(1);
            for (int round = 0; round < 2; round++) {
                s.deliver(m -> m instanceof Message.VoteRequest).deliver(m -> m instanceof Message.VoteResponse);
            }
        }
        assertEquals(Role.LEADER, s.node(1).role());
        long ownTerm = s.node(1).term();
        // Node 2 has X but its disk has not yet made the new no-op durable; node 4 hears nothing.
        s.manualSync.add(2);
        s.drop(m -> m.to() == 4);
        for (int i = 0; i < 10 && s.node(3).lastIndex() < x; i++) {
            s.deliver(m -> m.to() == 2 || m.to() == 3 || m.to() == 1);
            s.drop(m -> m.to() == 4);
        }
        assertEquals(x, s.node(3).lastIndex());
        s.drop(m -> m instanceof Message.AppendRequest && m.to() == 3);
        s.deliver(m -> m instanceof Message.AppendResponse);

        // X (term 1) is now durable on nodes 1, 2 and 3, a majority: still not committed.
        assertEquals(1, s.node(1).termAt(x));
        assertTrue(s.node(1).commitIndex() < x, "committed an old-term entry by counting: " + s.node(1));

        // (d) Once an entry of the leader's own term is on a majority, X commits with it.
        s.manualSync.clear();
        s.sync(2).stabilize().tickAll(2).stabilize();
        assertTrue(s.node(1).commitIndex() > x, () -> s.cores.values().toString());
        assertEquals(ownTerm, s.node(1).termAt(s.node(1).commitIndex()));
        assertEquals("X", new String(s.node(1).entryAt(x).command()));
    }

    @Test
    void batchingRespectsEntryAndByteLimits() {
        RaftConfig small = RaftConfig.defaults().withBatchLimits(10, 2_000).withInflight(4);
        Script s = new Script(3, small);
        s.campaign(1).stabilize().tickAll(3).stabilize();
        s.sentLog.clear();
        byte[] payload = new byte[150];
        for (int i = 0; i < 200; i++) {
            s.node(1).propose(payload);
        }
        s.collect(1);
        List<Message.AppendRequest> appends = s.sentLog.stream()
                .filter(m -> m instanceof Message.AppendRequest)
                .map(m -> (Message.AppendRequest) m)
                .toList();
        assertTrue(!appends.isEmpty());
        for (Message.AppendRequest ar : appends) {
            assertTrue(
                    ar.entries().size() <= 10,
                    "entries per append " + ar.entries().size());
            int bytes = ar.entries().stream().mapToInt(Entry::sizeBytes).sum();
            assertTrue(bytes <= 2_000, "bytes per append " + bytes);
        }
        // Pipelining: up to the inflight window per follower before any ack, not more.
        long toNode2 = appends.stream().filter(a -> a.to() == 2).count();
        assertEquals(4, toNode2, "inflight window per follower");
        // Many proposals, few messages: batching.
        assertTrue(appends.size() < 200 / 5);
        s.stabilize().tickAll(3).stabilize();
        assertEquals(s.node(1).lastIndex(), s.node(3).commitIndex());
    }

    @Test
    void throttlesProposalsBeyondTheUncommittedBound() {
        Script s = new Script(3, RaftConfig.defaults().withMaxUncommitted(5));
        s.campaign(1).stabilize().tickAll(3).stabilize();
        s.isolate(1);
        int accepted = 0;
        for (int i = 0; i < 10; i++) {
            if (s.node(1).propose(new byte[1]) > 0) {
                accepted++;
            }
        }
        assertEquals(5, accepted);
        assertEquals(RaftCore.PROPOSE_THROTTLED, s.node(1).propose(new byte[1]));
    }

    @Test
    void commitIndexNeverMovesBackAcrossRestart() {
        Script s = Script.of(3).campaign(1).stabilize();
        s.propose(1, "a").propose(1, "b").stabilize().tickAll(3).stabilize();
        long commit = s.node(2).commitIndex();
        s.restart(2, RaftConfig.defaults());
        s.tickAll(5).stabilize();
        assertTrue(s.node(2).commitIndex() >= commit);
        assertEquals(List.of("a", "b"), s.appliedCommands(2));
    }
}
