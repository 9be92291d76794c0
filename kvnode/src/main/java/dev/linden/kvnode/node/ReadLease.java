package dev.linden.kvnode.node;

import java.util.TreeMap;
import java.util.function.LongSupplier;

/**
 * A leader's read lease (Raft thesis §6.4.1), timed on the node's monotonic clock; raft stage only. A
 * ReadIndex round that a quorum confirmed gives the lease from the moment the round was <em>asked for</em>
 * (never later: voters reset their election timers when the round's heartbeat arrives, which is after),
 * {@code leaseNanos} long: an election timeout less a tick less the drift bound
 * ({@code RaftConfig.leaseTicks}). Voters that answered refuse to vote for anyone else for an election
 * timeout of their own clocks, so no other leader exists before it ends. The core says whether a leader
 * may hold one at all ({@code RaftCore.leaseReadsAllowed}); this class only times it.
 *
 * <p>A clock seen going back (a stepped "monotonic" clock) ends the lease. Rounds that may confirm a lease
 * are remembered by their read context, at most as many as reads may be pending.
 */
final class ReadLease {
    private final LongSupplier monotonicNanos;
    private final long leaseNanos;
    /** When the lease's confirming round was asked for, and in which term (-1: no lease). */
    private long fromNanos;

    private long term = -1;
    /** Rounds that may confirm a lease: ctx -> {asked at nanos, term}. */
    private final TreeMap<Long, long[]> asks = new TreeMap<>();
    /** The ctx of the round asked for only to renew the lease, or -1. */
    private long renewalCtx = -1;
    /** The clock's last reading. */
    private long lastClockNanos = Long.MIN_VALUE;

    long served;

    ReadLease(LongSupplier monotonicNanos, long leaseNanos) {
        this.monotonicNanos = monotonicNanos;
        this.leaseNanos = leaseNanos;
    }

    long now() {
        return monotonicNanos.getAsLong();
    }

    /** Whether the lease of {@code currentTerm} holds at {@code now} (the core's permission aside). */
    boolean valid(long now, long currentTerm) {
        if (now < lastClockNanos) {
            term = -1;
        }
        lastClockNanos = now;
        return term == currentTerm && now - fromNanos < leaseNanos;
    }

    /** The same question without recording the reading (for observers). */
    boolean heldAt(long now, long currentTerm) {
        return term == currentTerm && now >= lastClockNanos && now - fromNanos < leaseNanos;
    }

    long termHeld() {
        return term;
    }

    long remainingNanos(long now) {
        return fromNanos + leaseNanos - now;
    }

    /** Past half its life and no renewal asked yet: the caller should ask for one (as {@code ctx}). */
    boolean renewalDue(long now) {
        return now - fromNanos > leaseNanos / 2 && renewalCtx < 0;
    }

    /** A ReadIndex round for {@code ctx} was asked at {@code now} in {@code askedTerm}. */
    void asked(long ctx, long now, long askedTerm, boolean renewal) {
        asks.put(ctx, new long[] {now, askedTerm});
        if (renewal) {
            renewalCtx = ctx;
        }
    }

    boolean waiting() {
        return !asks.isEmpty();
    }

    /** The round for {@code ctx} was confirmed by a quorum while this node leads {@code currentTerm}. */
    void confirmed(long ctx, long currentTerm) {
        long[] ask = asks.remove(ctx);
        if (ctx == renewalCtx) {
            renewalCtx = -1;
        }
        if (ask != null && ask[1] == currentTerm && (term != ask[1] || ask[0] > fromNanos)) {
            fromNanos = ask[0];
            term = ask[1];
        }
    }

    /** The round for {@code ctx} failed (leadership lost): it confirms nothing. */
    void failed(long ctx) {
        asks.remove(ctx);
        if (ctx == renewalCtx) {
            renewalCtx = -1;
        }
    }

    /** Gives the lease up (a leadership transfer is beginning). */
    void drop() {
        term = -1;
    }

    void clear() {
        asks.clear();
        renewalCtx = -1;
        term = -1;
    }
}
