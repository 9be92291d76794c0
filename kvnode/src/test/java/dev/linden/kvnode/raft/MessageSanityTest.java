package dev.linden.kvnode.raft;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

class MessageSanityTest {
    private static Entry e(long term, long index) {
        return new Entry(term, index, Entry.Kind.COMMAND, new byte[1]);
    }

    @Test
    void whatRealPeersSendPasses() {
        assertNull(MessageSanity.problem(new Message.AppendRequest(1, 2, 5, 10, 4, List.of(e(4, 11), e(5, 12)), 11)));
        assertNull(MessageSanity.problem(new Message.AppendRequest(1, 2, 5, 0, 0, List.of(), 0)));
        assertNull(MessageSanity.problem(new Message.VoteRequest(1, 2, 7, false, 100, 6)));
        assertNull(MessageSanity.problem(Message.AppendResponse.staleTerm(2, 1, 9)));
        assertNull(MessageSanity.problem(new Message.HeartbeatRequest(1, 2, 3, 40, 1)));
    }

    @Test
    void termsAndIndexesNoClusterReachesOrThatGoBackwardsAreRefused() {
        long huge = Long.MAX_VALUE;
        assertNotNull(MessageSanity.problem(new Message.HeartbeatRequest(1, 2, huge, 0, 0)));
        assertNotNull(MessageSanity.problem(new Message.HeartbeatRequest(1, 2, -1, 0, 0)));
        assertNotNull(MessageSanity.problem(new Message.HeartbeatRequest(1, 2, 3, huge, 0)));
        // A candidate's last entry is never of a later term than its own.
        assertNotNull(MessageSanity.problem(new Message.VoteRequest(1, 2, 7, false, 100, 8)));
        assertNotNull(MessageSanity.problem(new Message.VoteRequest(1, 2, 7, false, huge, 6)));
        // Entries that skip, repeat, go down in term or outrun the leader's term.
        assertNotNull(MessageSanity.problem(new Message.AppendRequest(1, 2, 5, 10, 4, List.of(e(4, 12)), 0)));
        assertNotNull(MessageSanity.problem(new Message.AppendRequest(1, 2, 5, 10, 4, List.of(e(3, 11)), 0)));
        assertNotNull(MessageSanity.problem(new Message.AppendRequest(1, 2, 5, 10, 4, List.of(e(6, 11)), 0)));
        assertNotNull(MessageSanity.problem(new Message.AppendRequest(1, 2, 5, 10, 6, List.of(), 0)));
        assertNotNull(MessageSanity.problem(new Message.AppendRequest(1, 2, 5, 10, 4, List.of(), huge)));
        assertNotNull(MessageSanity.problem(Message.AppendResponse.ack(2, 1, 5, -3)));
    }
}
