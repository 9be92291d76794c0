package dev.linden.kvnode.service;

import dev.linden.kvnode.kv.KvCommand;
import dev.linden.kvnode.kv.KvLeases;
import dev.linden.kvnode.node.RaftNode;
import dev.linden.kvnode.raft.Role;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * When leases run out: the leader's business, by its own monotonic clock, on the raft stage. A lease's deadline
 * is its TTL after the tick that first saw its grant or its latest keep-alive applied (so never before the TTL
 * after the client sent it); the first deadline a leadership gives a lease has an election timeout more, so a new
 * leader, which cannot know when its predecessor last renewed, never expires one early. Run-out leases go into one
 * {@link dev.linden.kvnode.kv.KvOp#LEASE_EXPIRE} entry at a time, each with the keep-alive index judged by, so a
 * keep-alive applied in between saves its lease. A node that does not lead forgets every deadline.
 *
 * <p>The tolerated clock drift: a leader's clock that runs fast by a fraction {@code d} ends a lease of TTL
 * {@code t} early by {@code d * t} of real time, and the election timeout added at a change of leader covers
 * a new leader's uncertainty, not drift. Clients should keep alive at a third of the TTL, as etcd's do.
 */
final class LeaseTimer {
    private record Deadline(long refreshIndex, long atNanos) {}

    private final RaftNode node;
    private final Supplier<Map<Long, KvLeases.Lease>> leases;
    private final LongSupplier nowNanos;
    private final long extendNanos;
    private final Map<Long, Deadline> deadlines = new HashMap<>();
    private long leadingTerm = -1;
    private volatile boolean expiryInFlight;
    /** Leases expired through entries this node proposed (tests and evidence). */
    private long proposedExpiries;

    LeaseTimer(RaftNode node, Supplier<Map<Long, KvLeases.Lease>> leases, LongSupplier nowNanos, long extendMillis) {
        if (extendMillis < 0) {
            throw new IllegalArgumentException("the lease extension must be >= 0 ms");
        }
        this.node = node;
        this.leases = leases;
        this.nowNanos = nowNanos;
        this.extendNanos = extendMillis * 1_000_000;
    }

    /** One look at the leases (on the raft stage). */
    void tick() {
        if (node.role() != Role.LEADER) {
            deadlines.clear();
            leadingTerm = -1;
            return;
        }
        if (node.term() != leadingTerm) {
            deadlines.clear();
            leadingTerm = node.term();
        }
        long now = nowNanos.getAsLong();
        Map<Long, KvLeases.Lease> known = leases.get();
        deadlines.keySet().retainAll(known.keySet());
        List<String> due = new ArrayList<>();
        for (Map.Entry<Long, KvLeases.Lease> e : known.entrySet()) {
            KvLeases.Lease l = e.getValue();
            Deadline d = deadlines.get(e.getKey());
            if (d == null || d.refreshIndex() != l.refreshIndex()) {
                long extra = d == null ? extendNanos : 0;
                deadlines.put(e.getKey(), new Deadline(l.refreshIndex(), now + l.ttlMillis() * 1_000_000 + extra));
            } else if (d.atNanos() <= now && due.size() < KvLeases.MAX_EXPIRED_PER_ENTRY) {
                due.add(e.getKey() + ":" + l.refreshIndex());
            }
        }
        if (!due.isEmpty() && !expiryInFlight) {
            expiryInFlight = true;
            proposedExpiries += due.size();
            node.propose(KvCommand.leaseExpire(String.join(",", due)).encode())
                    .whenComplete((r, e) -> expiryInFlight = false);
        }
    }

    long proposedExpiries() {
        return proposedExpiries;
    }
}
