package dev.linden.kvnode.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.kvnode.kv.KvCommand;
import dev.linden.kvnode.kv.KvStateMachine;
import dev.linden.kvnode.raft.RandomSource;
import dev.linden.kvnode.raft.Role;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** A node's core, recorded while the node runs, replays alone to the same readies. */
class CoreReplayTest {
    private final TestLoop loop = new TestLoop();
    private final Random netRandom = new Random(7);
    private final List<Integer> ids = List.of(1, 2, 3);
    private final TreeMap<Integer, RaftNode> nodes = new TreeMap<>();
    private final TreeMap<Integer, MemoryLogStore> stores = new TreeMap<>();
    private final TreeMap<Integer, ByteArrayOutputStream> recorded = new TreeMap<>();
    private final TreeMap<Integer, CoreRecording> recordings = new TreeMap<>();

    private void start(int id) throws Exception {
        Transport transport = m -> loop.at(100 + netRandom.nextInt(400), () -> {
            RaftNode to = nodes.get(m.to());
            if (to != null) {
                to.receiveAll(List.of(m));
            }
        });
        RaftNode node = new RaftNode(
                id,
                ids,
                NodeConfig.defaults(),
                RandomSource.seeded(id),
                loop.stage(5),
                loop.stage(20),
                stores.get(id),
                transport,
                new KvStateMachine());
        node.setRecorder(recordings.get(id));
        nodes.put(id, node);
        node.start();
    }

    private RaftNode leader() {
        return nodes.values().stream()
                .filter(n -> n.role() == Role.LEADER)
                .findFirst()
                .orElse(null);
    }

    private void write(int count, int from) {
        RaftNode leader = leader();
        List<CompletableFuture<byte[]>> results = new ArrayList<>();
        for (int i = from; i < from + count; i++) {
            results.add(leader.propose(KvCommand.put("k" + (i % 20), "v" + i)
                    .withSession(1, i + 1, i)
                    .encode()));
        }
        results.add(leader.read(KvCommand.get("k1").encode()));
        loop.runUntil(() -> results.stream().allMatch(CompletableFuture::isDone), 20_000_000);
        long until = loop.nowMicros() + 1_000_000; // a second of heartbeats and ticks
        loop.runUntil(() -> loop.nowMicros() >= until, 2_000_000);
    }

    @Test
    void everyNodesCoreReplaysFromItsRecordingAloneAcrossARestart() throws Exception {
        for (int id : ids) {
            stores.put(id, new MemoryLogStore(loop.stage(500), 1_000_000));
            recorded.put(id, new ByteArrayOutputStream());
            recordings.put(id, new CoreRecording(recorded.get(id)));
            start(id);
        }
        loop.runUntil(() -> leader() != null, 5_000_000);
        write(300, 0);
        int restarted =
                ids.stream().filter(id -> nodes.get(id) != leader()).findFirst().orElseThrow();
        nodes.get(restarted).stop();
        loop.runUntil(() -> true, 1);
        start(restarted);
        loop.runUntil(() -> leader() != null, 5_000_000);
        write(300, 300);

        for (int id : ids) {
            recordings.get(id).close();
            CoreReplay.Result r =
                    CoreReplay.replay(new ByteArrayInputStream(recorded.get(id).toByteArray()));
            assertNull(r.mismatch(), "node " + id);
            assertEquals(id == restarted ? 2 : 1, r.cores(), "node " + id + ": one core each start");
            assertTrue(r.inputs() > 100 && r.readies() > 100, "node " + id + ": " + r);
        }
    }
}
