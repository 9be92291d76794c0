package dev.linden.kvnode.net;

import java.util.function.IntConsumer;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * A leader whose client port has refused new clients for a while because every connection is busy hands
 * its leadership to another voter (thesis §3.10, through the existing transfer path): it still serves
 * the clients it has, but it is no longer the only door for writes while new clients are turned away.
 * One transfer per {@code cooldownMillis}, so a port that stays full moves leadership at most that often.
 *
 * <p>Time is measured from the first refusal of a streak; a streak ends when no refusal came for
 * {@link #STREAK_GAP_MILLIS}. Not thread-safe by itself: called on the client port's event loop.
 */
final class FullPortFailover {
    private static final Logger LOG = Logger.getLogger(FullPortFailover.class.getName());
    static final long STREAK_GAP_MILLIS = 1_000;

    private final long refusingMillis;
    private final long cooldownMillis;
    private final LongSupplier millisClock;
    /** Another voter to hand leadership to, or 0 if this node does not lead or leads alone. */
    private final IntSupplier transferTarget;

    private final IntConsumer transfer;
    private long streakStartMillis = -1;
    private long lastRefusalMillis;
    private long lastTransferMillis = Long.MIN_VALUE / 2;

    FullPortFailover(
            long refusingMillis,
            long cooldownMillis,
            LongSupplier millisClock,
            IntSupplier transferTarget,
            IntConsumer transfer) {
        if (refusingMillis < 1 || cooldownMillis < refusingMillis) {
            throw new IllegalArgumentException("full port failover: refusing >= 1 ms, cooldown >= refusing");
        }
        this.refusingMillis = refusingMillis;
        this.cooldownMillis = cooldownMillis;
        this.millisClock = millisClock;
        this.transferTarget = transferTarget;
        this.transfer = transfer;
    }

    /** A new connection was refused because every connection is busy. Returns the voter handed to, or 0. */
    synchronized int refused() {
        long now = millisClock.getAsLong();
        if (streakStartMillis < 0 || now - lastRefusalMillis > STREAK_GAP_MILLIS) {
            streakStartMillis = now;
        }
        lastRefusalMillis = now;
        if (now - streakStartMillis < refusingMillis || now - lastTransferMillis < cooldownMillis) {
            return 0;
        }
        int target = transferTarget.getAsInt();
        if (target == 0) {
            return 0;
        }
        lastTransferMillis = now;
        streakStartMillis = -1;
        LOG.warning("event=leadership-handed-over reason=client-port-full-busy refusing-ms=" + refusingMillis + " to="
                + target);
        transfer.accept(target);
        return target;
    }
}
