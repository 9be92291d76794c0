package dev.linden.kvnode.net;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** When a full, busy client port hands leadership over: after a streak of refusals, once per cooldown. */
class FullPortFailoverTest {
    private final AtomicLong clock = new AtomicLong(1_000);
    private final AtomicInteger target = new AtomicInteger(2);
    private final List<Integer> transfers = new ArrayList<>();
    private final FullPortFailover failover =
            new FullPortFailover(10_000, 60_000, clock::get, target::get, transfers::add);

    /** One refusal every 500 ms for {@code millis}. */
    private void refuseFor(long millis) {
        for (long t = 0; t < millis; t += 500) {
            failover.refused();
            clock.addAndGet(500);
        }
    }

    @Test
    void aStreakOfRefusalsLongerThanTheLimitHandsLeadershipOverOncePerCooldown() {
        refuseFor(9_500);
        assertEquals(List.of(), transfers);
        refuseFor(1_000);
        assertEquals(List.of(2), transfers);
        refuseFor(30_000); // still refusing: the cooldown holds
        assertEquals(List.of(2), transfers);
        refuseFor(40_000);
        assertEquals(List.of(2, 2), transfers);
    }

    @Test
    void aGapEndsTheStreakAndAFollowerHandsNothingOver() {
        refuseFor(8_000);
        clock.addAndGet(FullPortFailover.STREAK_GAP_MILLIS + 1);
        refuseFor(8_000);
        assertEquals(List.of(), transfers);
        target.set(0); // not the leader (or alone)
        refuseFor(20_000);
        assertEquals(List.of(), transfers);
    }
}
