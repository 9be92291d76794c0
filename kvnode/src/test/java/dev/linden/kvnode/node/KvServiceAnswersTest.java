package dev.linden.kvnode.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.kvnode.kv.KvCommand;
import dev.linden.kvnode.kv.KvResult;
import dev.linden.kvnode.kv.KvStateMachine;
import dev.linden.kvnode.raft.RandomSource;
import dev.linden.kvnode.raft.Role;
import dev.linden.kvnode.service.ClientRequest;
import dev.linden.kvnode.service.ClientResponse;
import dev.linden.kvnode.service.KvLimits;
import dev.linden.kvnode.service.KvService;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The service over a one-node cluster: cached answers count against the quota; a GET never enters the log. */
class KvServiceAnswersTest {
    private static final long QUOTA_BYTES = 3L << 20;
    private final TestLoop loop = new TestLoop();
    private final KvStateMachine kv = new KvStateMachine();
    private RaftNode node;
    private KvService service;
    private long requestId;

    @BeforeEach
    void start() throws Exception {
        node = new RaftNode(
                1,
                List.of(1),
                NodeConfig.defaults(),
                RandomSource.seeded(1),
                loop.stage(5),
                loop.stage(20),
                new MemoryLogStore(loop.stage(50), 1_000_000),
                m -> {},
                kv);
        node.start();
        loop.runUntil(() -> node.role() == Role.LEADER, 5_000_000);
        service = new KvService(
                node,
                new KvLimits(KvCommand.MAX_KEY_BYTES, KvCommand.MAX_VALUE_BYTES, QUOTA_BYTES),
                kv::storedBytes,
                kv::answerBytes);
    }

    private ClientResponse call(KvCommand c) {
        AtomicReference<ClientResponse> out = new AtomicReference<>();
        service.handle(new ClientRequest(++requestId, c), out::set);
        loop.runUntil(() -> out.get() != null, 5_000_000);
        return out.get();
    }

    @Test
    void atTheQuotaCachedAnswersCountAndWritesGetNoSpaceWithAClearReason() {
        String big = "v".repeat(1 << 20);
        assertEquals(ClientResponse.Status.OK, call(KvCommand.put("big", big)).status());
        // Two sessions each keep a 1 MiB CAS-mismatch answer: 1 MiB of data plus 2 MiB of answers.
        for (long client = 1; client <= 2; client++) {
            ClientResponse r = call(KvCommand.cas("big", "no", "x").withSession(client, 1, 0));
            assertEquals(KvResult.Status.CAS_MISMATCH, r.result().status());
        }
        assertTrue(kv.answerBytes() > 2L << 20, "answers " + kv.answerBytes());
        assertTrue(kv.storedBytes() < QUOTA_BYTES - 1000, "data alone is under the quota");
        ClientResponse refused = call(KvCommand.put("small", "1").withSession(3, 1, 0));
        assertEquals(ClientResponse.Status.NO_SPACE, refused.status());
        assertTrue(
                refused.result().value().contains("bytes of answers kept for retries"),
                refused.result().value());
        // A delete still works, and acknowledging the answers frees their bytes for writes again.
        assertEquals(
                ClientResponse.Status.OK,
                call(KvCommand.delete("other").withSession(1, 2, 1)).status());
        assertEquals(
                ClientResponse.Status.OK,
                call(KvCommand.delete("other").withSession(2, 2, 1)).status());
        assertEquals(
                ClientResponse.Status.OK,
                call(KvCommand.put("small", "1").withSession(3, 2, 1)).status());
    }

    @Test
    void aGetWithASessionIsServedAsAReadWithoutALogEntry() {
        assertEquals(
                ClientResponse.Status.OK,
                call(KvCommand.put("k", "v").withSession(5, 1, 0)).status());
        long applied = kv.lastAppliedIndex();
        ClientResponse read = call(KvCommand.get("k").withSession(5, 2, 1));
        assertEquals(ClientResponse.Status.OK, read.status());
        assertEquals("v", read.result().value());
        assertEquals(applied, kv.lastAppliedIndex(), "the GET must not have entered the log");
        assertEquals(0, kv.answerBytes() - (5 + KvStateMachine.ANSWER_OVERHEAD_BYTES), "only the PUT's answer is kept");
    }
}
