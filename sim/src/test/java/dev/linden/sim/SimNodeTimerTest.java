package dev.linden.sim;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.kvnode.node.NodeConfig;
import dev.linden.kvnode.node.Stage;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The simulated node's timers under pauses and clock faults. */
class SimNodeTimerTest {
    private static final long MS = 1_000_000L;

    /** A periodic tick, as RaftNode runs one: each firing arms the next. Counts firings after {@code fromNanos}. */
    private static final class Ticker implements Runnable {
        final Stage stage;
        final SimLoop loop;
        final long fromNanos;
        int firings;

        Ticker(Stage stage, SimLoop loop, long fromNanos) {
            this.stage = stage;
            this.loop = loop;
            this.fromNanos = fromNanos;
        }

        @Override
        public void run() {
            if (loop.nowNanos() >= fromNanos) {
                firings++;
            }
            stage.schedule(10, this);
        }
    }

    private static int ticksInTheSecondAfterResume(boolean clockFaultDuringPause) {
        Simulation sim = new Simulation(1, 1, SimOptions.defaults());
        SimLoop loop = new SimLoop(1_000_000);
        SimNode node = new SimNode(
                1, sim, loop, new SplittableRandom(1), List.of(1), NodeConfig.defaults(), SimOptions.defaults(), false);
        node.up = true;
        Ticker ticker = new Ticker(node.stageForTest(), loop, 2_100 * MS);
        ticker.stage.schedule(10, ticker);
        loop.at(1_000 * MS, SimLoop.NEMESIS, 0, node::pause);
        loop.at(2_000 * MS, SimLoop.NEMESIS, 0, node::resume);
        if (clockFaultDuringPause) {
            loop.at(1_500 * MS, SimLoop.NEMESIS, 0, () -> node.adjustClock(300, 0));
        }
        loop.runUntil(3_100 * MS, () -> false);
        return ticker.firings;
    }

    @Test
    void aTimerDeferredByAPauseAndReArmedByAClockJumpFiresOnceNotTwice() {
        int plain = ticksInTheSecondAfterResume(false);
        int withClockFault = ticksInTheSecondAfterResume(true);
        // A 10 ms tick (by a clock of up to +-200 ppm drift) fires about 100 times a second.
        assertTrue(plain >= 95 && plain <= 105, "ticks without a clock fault: " + plain);
        assertEquals(plain, withClockFault, 5, "a clock fault during a pause doubled the tick rate");
    }

    private static void assertEquals(int expected, int actual, int delta, String message) {
        assertTrue(Math.abs(expected - actual) <= delta, message + ": " + expected + " vs " + actual);
    }
}
