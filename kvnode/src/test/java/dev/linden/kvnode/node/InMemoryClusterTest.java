package dev.linden.kvnode.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.kvnode.kv.KvCommand;
import dev.linden.kvnode.kv.KvResult;
import dev.linden.kvnode.kv.KvStateMachine;
import dev.linden.kvnode.raft.Entry;
import dev.linden.kvnode.raft.RandomSource;
import dev.linden.kvnode.raft.Role;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Full nodes (core, pipeline stages, KV state machine) in one event loop with a simple network that
 * delivers every message after a small random delay. Proves whole clusters elect, replicate, commit
 * and apply thousands of commands identically on every node.
 */
class InMemoryClusterTest {
    private final TestLoop loop = new TestLoop();
    private final SplittableRandom netRandom = new SplittableRandom(1234);
    private final TreeMap<Integer, RaftNode> nodes = new TreeMap<>();
    private final TreeMap<Integer, KvStateMachine> machines = new TreeMap<>();
    private final TreeMap<Integer, List<Entry>> appliedByNode = new TreeMap<>();

    private final TreeMap<Integer, MemoryLogStore> stores = new TreeMap<>();
    private final TreeMap<Integer, Long> snapshotRestoredAt = new TreeMap<>();
    /** Nodes cut off from the network: messages to and from them are dropped. */
    private final Set<Integer> cutOff = new TreeSet<>();

    private NodeConfig config = NodeConfig.defaults();
    private List<Integer> ids;

    private void startCluster(int n) throws Exception {
        ids = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            ids.add(i);
        }
        for (int id : ids) {
            stores.put(id, new MemoryLogStore(loop.stage(500), 1_000_000));
            startNode(id);
        }
    }

    /** Starts (or restarts) a node over its log store, with a fresh state machine. */
    private void startNode(int id) throws Exception {
        KvStateMachine sm = new KvStateMachine();
        machines.put(id, sm);
        appliedByNode.put(id, new ArrayList<>());
        Transport transport = m -> {
            if (!cutOff.contains(m.from()) && !cutOff.contains(m.to())) {
                loop.at(100 + netRandom.nextInt(400), () -> nodes.get(m.to()).receiveAll(List.of(m)));
            }
        };
        RaftNode node = new RaftNode(
                id, ids, config, RandomSource.seeded(id), loop.stage(5), loop.stage(20), stores.get(id), transport, sm);
        node.setListener(new NodeListener() {
            @Override
            public void onApplied(int nodeId, Entry entry, byte[] result) {
                appliedByNode.get(nodeId).add(entry);
            }

            @Override
            public void onSnapshotRestored(int nodeId, long index) {
                snapshotRestoredAt.put(nodeId, index);
            }
        });
        nodes.put(id, node);
        node.start();
    }

    private final Set<Integer> stopped = new TreeSet<>();

    private RaftNode leader() {
        for (RaftNode n : nodes.values()) {
            if (n.role() == Role.LEADER && !stopped.contains(n.id())) {
                return n;
            }
        }
        return null;
    }

    @ParameterizedTest
    @ValueSource(ints = {3, 5})
    void clusterElectsReplicatesAndAppliesIdentically(int size) throws Exception {
        startCluster(size);
        loop.runUntil(() -> leader() != null, 5_000_000);
        RaftNode leader = leader();

        int commands = 3000;
        List<CompletableFuture<byte[]>> results = new ArrayList<>();
        for (int i = 0; i < commands; i++) {
            long client = 1 + (i % 10);
            long seq = 1 + i / 10;
            KvCommand c = (i % 3 == 0
                            ? KvCommand.put("k" + (i % 50), "v" + i)
                            : KvCommand.append("l" + (i % 7), i + ","))
                    .withSession(client, seq, 0);
            results.add(leader.propose(c.encode()));
        }
        loop.runUntil(() -> results.stream().allMatch(CompletableFuture::isDone), 20_000_000);
        for (CompletableFuture<byte[]> f : results) {
            assertEquals(KvResult.Status.OK, KvResult.decode(f.join()).status());
        }
        long lastIndex = appliedByNode
                .get(leader.id())
                .get(appliedByNode.get(leader.id()).size() - 1)
                .index();
        loop.runUntil(
                () -> appliedByNode.values().stream()
                        .allMatch(l -> !l.isEmpty() && l.get(l.size() - 1).index() >= lastIndex),
                5_000_000);

        List<Entry> reference = appliedByNode.get(leader.id());
        assertTrue(reference.size() >= commands);
        for (int id : nodes.keySet()) {
            assertEquals(reference, appliedByNode.get(id), "node " + id + " applied a different sequence");
            assertEquals(machines.get(leader.id()).digest(), machines.get(id).digest());
        }

        // A linearizable read through ReadIndex sees the last write.
        CompletableFuture<byte[]> read = leader.read(KvCommand.get("k0").encode());
        loop.runUntil(read::isDone, 1_000_000);
        assertEquals(
                machines.get(leader.id()).get("k0"),
                KvResult.decode(read.join()).value());
        // Followers refuse reads and proposals with a leader hint.
        RaftNode follower =
                nodes.values().stream().filter(n -> n != leader).findFirst().orElseThrow();
        CompletableFuture<byte[]> refused =
                follower.propose(KvCommand.put("x", "y").encode());
        loop.runUntil(refused::isDone, 1_000_000);
        NodeException e = (NodeException) refused.handle((r, t) -> t).join();
        assertEquals(NodeException.Reason.NOT_LEADER, e.reason());
        assertEquals(leader.id(), e.leaderHint());
    }

    @ParameterizedTest
    @ValueSource(ints = {3})
    void leaderCrashElectsANewOneAndNothingCommittedIsLost(int size) throws Exception {
        startCluster(size);
        loop.runUntil(() -> leader() != null, 5_000_000);
        RaftNode first = leader();
        List<CompletableFuture<byte[]>> writes = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            writes.add(first.propose(KvCommand.append("log", i + ";").encode()));
        }
        loop.runUntil(() -> writes.stream().allMatch(CompletableFuture::isDone), 5_000_000);
        String before = machines.get(first.id()).get("log");
        first.stop();
        stopped.add(first.id());
        loop.runUntil(() -> leader() != null && leader() != first, 10_000_000);
        RaftNode second = leader();
        CompletableFuture<byte[]> read = second.read(KvCommand.get("log").encode());
        loop.runUntil(read::isDone, 2_000_000);
        assertEquals(before, KvResult.decode(read.join()).value());
        assertTrue(second.term() > first.term());
    }

    @org.junit.jupiter.api.Test
    void laggingFollowerCatchesUpBySnapshotAndARestartRecoversFromOne() throws Exception {
        config = NodeConfig.defaults()
                .withSnapshotEveryEntries(100)
                .withRaft(NodeConfig.defaults().raft().withSnapshots(512, 10));
        startCluster(3);
        loop.runUntil(() -> leader() != null, 5_000_000);
        RaftNode leader = leader();
        int lagging = leader.id() % 3 + 1;
        cutOff.add(lagging);
        // Long enough for the leader to see the follower gone: it stops holding compaction back for it.
        long t0 = loop.nowMicros();
        loop.runUntil(() -> loop.nowMicros() >= t0 + 500_000, 1_000_000);

        List<CompletableFuture<byte[]>> writes = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            KvCommand c = KvCommand.put("k" + (i % 40), "v" + i).withSession(7, i + 1, i);
            writes.add(leader.propose(c.encode()));
        }
        loop.runUntil(() -> writes.stream().allMatch(CompletableFuture::isDone), 20_000_000);
        writes.forEach(
                w -> assertEquals(KvResult.Status.OK, KvResult.decode(w.join()).status()));
        loop.runUntil(() -> leader.core().latestSnapshot().index() > 900, 5_000_000);
        assertTrue(leader.core().firstIndex() > 800, "the leader compacted its log");
        assertTrue(stores.get(leader.id()).snapshot() != null, "the leader's snapshot is in its store");
        loop.runUntil(() -> stores.get(leader.id()).entries().size() < 200, 1_000_000); // its store dropped them too

        // The follower that missed everything cannot be sent entries the leader no longer holds.
        cutOff.remove(lagging);
        KvStateMachine reference = machines.get(leader.id());
        loop.runUntil(() -> machines.get(lagging).lastAppliedIndex() == reference.lastAppliedIndex(), 20_000_000);
        assertTrue(snapshotRestoredAt.containsKey(lagging), "caught up by installing a snapshot");
        assertEquals(reference.digest(), machines.get(lagging).digest());

        // Restarted, it loads its snapshot back and replays only what came after.
        nodes.get(lagging).stop();
        loop.runUntil(() -> true, 0);
        snapshotRestoredAt.remove(lagging);
        startNode(lagging);
        loop.runUntil(
                () -> snapshotRestoredAt.containsKey(lagging)
                        && machines.get(lagging).lastAppliedIndex() >= reference.lastAppliedIndex(),
                20_000_000);
        assertEquals(reference.digest(), machines.get(lagging).digest());
        assertTrue(appliedByNode.get(lagging).size() < 200, "replayed the log after the snapshot only");

        // A retry of an old command after all that is still answered from the session, not re-run.
        CompletableFuture<byte[]> retry = leader().propose(
                        KvCommand.put("k0", "again").withSession(7, 1000, 0).encode());
        loop.runUntil(retry::isDone, 2_000_000);
        assertEquals(KvResult.Status.OK, KvResult.decode(retry.join()).status());
        loop.runUntil(() -> true, 0);
        assertEquals("v960", machines.get(leader().id()).get("k0"), "the retried put did not run again");
    }

    @org.junit.jupiter.api.Test
    void aFollowerBehindTheEntryCacheCatchesUpFromStorage() throws Exception {
        config = NodeConfig.defaults().withRaft(NodeConfig.defaults().raft().withMaxCachedEntries(50));
        startCluster(3);
        loop.runUntil(() -> leader() != null, 5_000_000);
        RaftNode leader = leader();
        int lagging = leader.id() % 3 + 1;
        cutOff.add(lagging);
        List<CompletableFuture<byte[]>> writes = new ArrayList<>();
        for (int i = 0; i < 600; i++) {
            writes.add(leader.propose(KvCommand.append("log", i + ",").encode()));
        }
        loop.runUntil(() -> writes.stream().allMatch(CompletableFuture::isDone), 20_000_000);
        loop.runUntil(() -> leader.core().cacheFirstIndex() > 500, 5_000_000);
        assertEquals(1, leader.core().firstIndex(), "nothing compacted: the entries are all in storage");

        cutOff.remove(lagging);
        KvStateMachine reference = machines.get(leader.id());
        loop.runUntil(() -> machines.get(lagging).lastAppliedIndex() == reference.lastAppliedIndex(), 20_000_000);
        assertEquals(reference.digest(), machines.get(lagging).digest());
        assertEquals(appliedByNode.get(leader.id()), appliedByNode.get(lagging), "applied the same entries, in order");
        assertTrue(!snapshotRestoredAt.containsKey(lagging), "from the log, not a snapshot");
    }
}
