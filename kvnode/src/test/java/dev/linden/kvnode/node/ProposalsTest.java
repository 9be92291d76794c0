package dev.linden.kvnode.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.kvnode.raft.Entry;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Proposals' commit times: each proposal timed once, from proposed to committed, and none of a replaced entry. */
class ProposalsTest {
    private long nowNanos;

    private static Entry entry(long term, long index) {
        return new Entry(term, index, Entry.Kind.COMMAND, new byte[] {1});
    }

    @Test
    void eachCommittedProposalIsTimedOnceAndAReplacedOneNever() {
        Proposals p = new Proposals(3, () -> nowNanos);
        nowNanos = 1_000_000;
        p.add(1, 1, new CompletableFuture<>());
        nowNanos = 2_000_000;
        p.add(2, 1, new CompletableFuture<>());
        p.add(3, 1, new CompletableFuture<>());
        nowNanos = 11_000_000;
        // Index 2 came back with another leader's term: its proposal was never committed, so it is not timed.
        p.committed(List.of(entry(1, 1), entry(2, 2)));
        assertTrue(
                p.commitTimes().summary().startsWith("commit n=1 p50=10.0"),
                p.commitTimes().summary());
        nowNanos = 12_000_000;
        p.committed(List.of(entry(2, 3), entry(2, 4)));
        assertTrue(p.commitTimes().summary().startsWith("commit n=1 "), "index 3 was replaced too");
        // At the bound again after the three are applied (or lost), and the ring has room for as many.
        p.applied(List.of(entry(1, 1), entry(2, 2), entry(2, 3)), List.of(new byte[0], new byte[0], new byte[0]), 0);
        for (long i = 5; i <= 7; i++) {
            p.add(i, 2, new CompletableFuture<>());
        }
        assertTrue(p.full());
        nowNanos = 15_000_000;
        p.committed(List.of(entry(2, 5), entry(2, 6), entry(2, 7)));
        assertTrue(
                p.commitTimes().summary().startsWith("commit n=4 "),
                p.commitTimes().summary());
    }

    @Test
    void failedOrReplacedProposalsLeaveNoTimeBehind() {
        Proposals p = new Proposals(2, () -> nowNanos);
        p.add(1, 1, new CompletableFuture<>());
        p.add(2, 1, new CompletableFuture<>());
        p.failAll(new NodeException(NodeException.Reason.NOT_LEADER, 0, "stopped"));
        p.add(3, 2, new CompletableFuture<>());
        p.replacedThrough(3, 0);
        p.add(4, 2, new CompletableFuture<>());
        p.committed(List.of(entry(1, 1), entry(1, 2), entry(2, 3), entry(2, 4)));
        assertEquals("commit n=1", p.commitTimes().summary().substring(0, "commit n=1".length()));
    }
}
