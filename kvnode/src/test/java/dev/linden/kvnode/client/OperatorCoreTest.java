package dev.linden.kvnode.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.kvnode.net.Wire;
import dev.linden.kvnode.raft.MembershipChange;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import org.junit.jupiter.api.Test;

/** The operator's rules (redirects, attempts, the deadline), on a hand-driven clock and network. */
class OperatorCoreTest {
    private static final long MS = 1_000_000;
    private static final OperatorCore.Limits LIMITS = new OperatorCore.Limits(1_000 * MS, 10_000 * MS, 5);

    /** A manual world: sent requests are kept, timers fire when the clock is advanced. */
    private static final class World implements OperatorCore.Driver {
        long now;
        long seq;
        final List<long[]> sent = new ArrayList<>(); // {node, requestId}
        final PriorityQueue<long[]> timerKeys =
                new PriorityQueue<>((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
        final Map<Long, Runnable> timers = new HashMap<>();

        @Override
        public long nowNanos() {
            return now;
        }

        @Override
        public void send(int node, long requestId, Object request) {
            sent.add(new long[] {node, requestId});
        }

        @Override
        public void schedule(long delayNanos, Runnable task) {
            long id = seq++;
            timerKeys.add(new long[] {now + delayNanos, id});
            timers.put(id, task);
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

        long[] last() {
            return sent.get(sent.size() - 1);
        }
    }

    private final World world = new World();
    private final OperatorCore core = new OperatorCore(List.of(1, 2, 3), world);
    private final Wire.MembershipResponse[] answer = new Wire.MembershipResponse[1];

    private void askRemove3(int guess) {
        core.changeMembership(MembershipChange.remove(3), guess, LIMITS, a -> answer[0] = a);
    }

    private static Wire.MembershipResponse said(long id, Wire.MembershipResponse.Outcome outcome, int leader) {
        return new Wire.MembershipResponse(id, outcome, leader, outcome.name().toLowerCase());
    }

    @Test
    void followsARedirectToTheLeaderNamed() {
        askRemove3(1);
        assertEquals(1, world.last()[0]);
        core.onAnswer(said(world.last()[1], Wire.MembershipResponse.Outcome.NOT_LEADER, 2));
        assertEquals(1, world.sent.size(), "the redirect waits its back-off");
        world.advance(OperatorCore.REDIRECT_NANOS);
        assertEquals(2, world.last()[0], "asks the node named");
        core.onAnswer(said(world.last()[1], Wire.MembershipResponse.Outcome.COMMITTED, 2));
        assertTrue(answer[0].ok());
        assertEquals(0, core.open());
        // The next request goes to the node that answered as leader.
        core.transferLeadership(1, -1, LIMITS, t -> {});
        assertEquals(2, world.last()[0]);
    }

    @Test
    void asksAnotherNodeAfterAnAttemptGetsNoAnswerAndTakesALateCommit() {
        askRemove3(1);
        long first = world.last()[1];
        world.advance(LIMITS.attemptTimeoutNanos());
        assertEquals(2, world.sent.size(), "asked again after the attempt timeout");
        assertNotEquals(1, world.last()[0], "of another node");
        assertNull(answer[0]);
        core.onAnswer(said(first, Wire.MembershipResponse.Outcome.NOT_LEADER, 3));
        assertEquals(2, world.sent.size(), "a refusal of a replaced attempt is ignored");
        core.onAnswer(said(first, Wire.MembershipResponse.Outcome.COMMITTED, 1));
        assertNotNull(answer[0]);
        assertTrue(answer[0].ok(), "a late commit of an earlier attempt ends the request");
    }

    @Test
    void aRefusalEndsTheRequestWithoutAskingAgain() {
        askRemove3(1);
        core.onAnswer(said(world.last()[1], Wire.MembershipResponse.Outcome.REFUSED, 1));
        assertEquals(Wire.MembershipResponse.Outcome.REFUSED, answer[0].outcome());
        world.advance(60_000 * MS);
        assertEquals(1, world.sent.size());
    }

    @Test
    void givesUpAtItsBoundOfAttemptsSayingWhatItMet() {
        askRemove3(1);
        world.advance(60_000 * MS); // nobody ever answers
        assertEquals(LIMITS.maxAttempts(), world.sent.size());
        assertFalse(answer[0].ok());
        assertEquals(0, answer[0].requestId(), "an answer the operator made up");
        assertTrue(answer[0].message().contains("after 5 attempts"), answer[0].message());
        assertTrue(answer[0].message().contains("did not answer"), answer[0].message());
        assertEquals(0, core.open());
    }

    @Test
    void givesUpAtItsDeadline() {
        core.changeMembership(
                MembershipChange.remove(3),
                1,
                new OperatorCore.Limits(1_000 * MS, 2_500 * MS, 100),
                a -> answer[0] = a);
        world.advance(60_000 * MS);
        assertEquals(3, world.sent.size(), "attempts at 0, 1 s and 2 s");
        assertFalse(answer[0].ok());
    }

    @Test
    void aTransferRefusedByTheLeaderIsFinalOneRefusedByAFollowerIsRedirected() {
        Wire.TransferResponse[] t = new Wire.TransferResponse[1];
        core.transferLeadership(3, 1, LIMITS, a -> t[0] = a);
        core.onAnswer(new Wire.TransferResponse(world.last()[1], false, 2, "not the leader"));
        world.advance(OperatorCore.REDIRECT_NANOS);
        assertEquals(2, world.last()[0]);
        core.onAnswer(new Wire.TransferResponse(world.last()[1], false, 2, "node 3 is not another voter"));
        assertFalse(t[0].ok());
        assertEquals("node 3 is not another voter", t[0].message());
    }

    @Test
    void anUnreachableNodeIsPassedOver() {
        askRemove3(1);
        core.onSendFailed(world.last()[1]);
        world.advance(OperatorCore.RETRY_NANOS);
        assertEquals(2, world.last()[0]);
        core.onAnswer(said(world.last()[1], Wire.MembershipResponse.Outcome.COMMITTED, 2));
        assertTrue(answer[0].ok());
    }
}
