package dev.linden.kvnode.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.kvnode.kv.KvCommand;
import dev.linden.kvnode.kv.KvResult;
import dev.linden.kvnode.service.ClientRequest;
import dev.linden.kvnode.service.ClientResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import org.junit.jupiter.api.Test;

/** The client's rules, on a hand-driven clock and network: no threads, no sockets. */
class ClientCoreTest {
    private static final long MS = 1_000_000;

    /** A manual world: sent requests are kept, timers fire when the clock is advanced. */
    private static final class World implements ClientCore.Driver {
        long now;
        long seq;
        final List<Object[]> sent = new ArrayList<>(); // {node, request}
        final PriorityQueue<long[]> timerKeys =
                new PriorityQueue<>((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
        final Map<Long, Runnable> timers = new HashMap<>();
        ClientCore core;

        @Override
        public long nowNanos() {
            return now;
        }

        @Override
        public void send(int node, ClientRequest request) {
            sent.add(new Object[] {node, request});
        }

        @Override
        public void schedule(long delayNanos, Runnable task) {
            long id = seq++;
            timerKeys.add(new long[] {now + delayNanos, id});
            timers.put(id, task);
        }

        @Override
        public void watchAttempt(long requestId, long deadlineNanos) {
            schedule(deadlineNanos - now, () -> core.checkAttempt(requestId));
        }

        @Override
        public int nextInt(int bound) {
            return 0;
        }

        void advance(long nanos) {
            long until = now + nanos;
            while (!timerKeys.isEmpty() && timerKeys.peek()[0] <= until) {
                long[] k = timerKeys.poll();
                now = k[0];
                timers.remove(k[1]).run();
            }
            now = until;
        }

        ClientRequest last() {
            return (ClientRequest) sent.get(sent.size() - 1)[1];
        }

        int lastNode() {
            return (Integer) sent.get(sent.size() - 1)[0];
        }
    }

    private static final class Seen implements ClientCore.Outcome {
        String how;
        KvResult result;
        KvCommand sent;

        @Override
        public void completed(KvCommand command, KvResult r) {
            assertEquals(null, how, "one outcome only");
            how = "ok";
            result = r;
            sent = command;
        }

        @Override
        public void failed(String why) {
            assertEquals(null, how, "one outcome only");
            how = "failed: " + why;
        }

        @Override
        public void indeterminate(String why) {
            assertEquals(null, how, "one outcome only");
            how = "indeterminate: " + why;
        }
    }

    private static World world() {
        World w = new World();
        long[] ids = {100};
        w.core = new ClientCore(List.of(1, 2, 3), 1, 250 * MS, w, () -> ids[0]++);
        return w;
    }

    private static ClientResponse ok(ClientRequest r, String value) {
        return new ClientResponse(r.requestId(), ClientResponse.Status.OK, 1, KvResult.ok(value));
    }

    @Test
    void aLateOkToAnEarlierAttemptCompletesTheRequest() {
        World w = world();
        Seen seen = new Seen();
        w.core.submit(KvCommand.put("k", "v"), 5_000 * MS, seen);
        ClientRequest first = w.last();
        w.advance(260 * MS); // no answer: a second attempt goes elsewhere
        assertEquals(2, w.sent.size());
        assertNotEquals(1, w.lastNode());
        w.core.onResponse(ok(first, "v")); // the first attempt's answer, late
        assertEquals("ok", seen.how);
        assertEquals(0, w.core.open());
    }

    @Test
    void aRefusalOfAReplacedAttemptIsIgnored() {
        World w = world();
        Seen seen = new Seen();
        w.core.submit(KvCommand.put("k", "v"), 5_000 * MS, seen);
        ClientRequest first = w.last();
        w.advance(260 * MS);
        w.core.onResponse(new ClientResponse(first.requestId(), ClientResponse.Status.INVALID, 0, (byte[]) null));
        assertEquals(null, seen.how, "only the latest attempt's refusal counts");
        w.core.onResponse(ok(w.last(), "v"));
        assertEquals("ok", seen.how);
    }

    @Test
    void aWriteThatMayHaveBeenAppliedEndsIndeterminateAReadOrARefusedWriteFails() {
        World w = world();
        Seen write = new Seen();
        w.core.submit(KvCommand.put("k", "v"), 600 * MS, write);
        w.advance(700 * MS); // every attempt unanswered
        assertTrue(write.how.startsWith("indeterminate: timeout"), write.how);
        assertTrue(write.how.contains("no answer from"), write.how);

        Seen read = new Seen();
        w.core.submit(KvCommand.get("k"), 600 * MS, read);
        w.advance(700 * MS);
        assertTrue(read.how.startsWith("failed: timeout: the read"), read.how);

        Seen refused = new Seen();
        w.core.submit(KvCommand.put("k", "v"), 100 * MS, refused);
        for (int i = 0; i < 10 && refused.how == null; i++) {
            w.core.onResponse(
                    new ClientResponse(w.last().requestId(), ClientResponse.Status.NOT_LEADER, 0, (byte[]) null));
            w.advance(20 * MS);
        }
        assertTrue(refused.how.startsWith("failed: timeout: every attempt was refused"), refused.how);
        assertTrue(refused.how.contains("not_leader from"), refused.how);
    }

    @Test
    void aRefusalForGoodAfterAnUnansweredAttemptIsIndeterminate() {
        World w = world();
        Seen seen = new Seen();
        w.core.submit(KvCommand.put("k", "v"), 5_000 * MS, seen);
        w.advance(260 * MS); // the first attempt may have been applied
        w.core.onResponse(new ClientResponse(w.last().requestId(), ClientResponse.Status.NO_SPACE, 0, (byte[]) null));
        assertTrue(seen.how.startsWith("indeterminate: no space"), seen.how);
    }

    @Test
    void redirectsFollowTheHintAndTheAnsweringNodeBecomesTheGuess() {
        World w = world();
        Seen a = new Seen();
        w.core.submit(KvCommand.put("k", "v"), 5_000 * MS, a);
        w.core.onResponse(new ClientResponse(w.last().requestId(), ClientResponse.Status.NOT_LEADER, 3, (byte[]) null));
        w.advance(2 * MS);
        assertEquals(3, w.lastNode());
        w.core.onResponse(ok(w.last(), "v"));
        Seen b = new Seen();
        w.core.submit(KvCommand.put("k", "w"), 5_000 * MS, b);
        assertEquals(3, w.lastNode(), "the next request goes to the node that answered");
    }

    @Test
    void pipelinedWritesAcknowledgeBelowTheLowestOpenSeqAndAnExpiredSessionIsReplaced() {
        World w = world();
        Seen first = new Seen();
        Seen second = new Seen();
        w.core.submit(KvCommand.put("a", "1"), 5_000 * MS, first);
        ClientRequest r1 = w.last();
        w.core.submit(KvCommand.put("b", "2"), 5_000 * MS, second);
        ClientRequest r2 = w.last();
        KvCommand c2 = r2.command();
        assertEquals(2, c2.seq());
        assertEquals(0, c2.ackedSeq(), "seq 1 is still open");
        w.core.onResponse(ok(r1, "1"));
        Seen third = new Seen();
        w.core.submit(KvCommand.put("c", "3"), 5_000 * MS, third);
        assertEquals(1, w.last().command().ackedSeq(), "seq 1 answered, seq 2 open");
        w.core.onResponse(new ClientResponse(
                r2.requestId(), ClientResponse.Status.OK, 1, new KvResult(KvResult.Status.SESSION_EXPIRED, null)));
        assertTrue(second.how.startsWith("indeterminate: session-expired"), second.how);
        Seen fourth = new Seen();
        w.core.submit(KvCommand.put("d", "4"), 5_000 * MS, fourth);
        assertNotEquals(c2.clientId(), w.last().command().clientId(), "later writes use a new session");
        assertEquals(1, w.last().command().seq());
    }

    @Test
    void aGetTakesNoSessionNumberAndADroppedAnswerEndsIndeterminateWithTheClustersReason() {
        World w = world();
        Seen read = new Seen();
        w.core.submit(KvCommand.get("a").withSession(77, 9, 8), 5_000 * MS, read);
        assertEquals(0, w.last().command().clientId(), "a GET is sent without a session: nodes serve it as a read");
        Seen write = new Seen();
        w.core.submit(KvCommand.put("a", "1"), 5_000 * MS, write);
        ClientRequest r = w.last();
        assertEquals(1, r.command().seq(), "the GET consumed no sequence number");
        w.core.onResponse(new ClientResponse(
                r.requestId(),
                ClientResponse.Status.OK,
                1,
                new KvResult(KvResult.Status.SESSION_EXPIRED, "answer dropped to keep the session bounded")));
        assertTrue(
                write.how.startsWith("indeterminate: session-expired: answer dropped to keep the session bounded"),
                write.how);
        assertTrue(write.how.contains("never twice"), write.how);
    }
}
