package dev.linden.realenv;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FakeClocksTest {
    @TempDir
    Path dir;

    /** The fake time libfaketime gives a process started at {@code start}, at {@code now}, for a spec. */
    private static double fake(String spec, double start, double now) {
        String[] parts = spec.split(" ");
        double offset = Double.parseDouble(parts[0]);
        double rate = parts.length > 1 ? Double.parseDouble(parts[1].substring(1)) : 1.0;
        return start + offset + (now - start) * rate;
    }

    @Test
    void aNewRateKeepsTheClockWhereItIsForTheProcessRunningNow() throws Exception {
        AtomicLong now = new AtomicLong(1_000_000);
        FakeClocks clocks = new FakeClocks(dir, true, now::get);
        clocks.configure(1, new ProcessBuilder("true"));
        double start = now.get() / 1000.0;
        assertEquals("+0.000 x1.000000", clocks.spec(1));

        now.addAndGet(60_000); // a minute-old process slowed to half speed: no step
        clocks.move(1, 0, 0.5);
        assertEquals("+30.000 x0.500000", clocks.spec(1));
        assertEquals(1_060.0, fake(clocks.spec(1), start, 1_060.0), 1e-6);

        now.addAndGet(10_000); // back to normal ten seconds later: five seconds behind, not stepped back
        clocks.normalRate(1);
        assertEquals(1_065.0, fake(clocks.spec(1), start, 1_070.0), 1e-6);
        assertEquals("-5.000 x1.000000", clocks.spec(1)); // the rate said: libfaketime keeps the last one

        now.addAndGet(1_000); // a jump is a step, as asked
        clocks.move(1, 2_000, 1.5);
        assertEquals(1_068.0, fake(clocks.spec(1), start, 1_071.0), 1e-6);

        now.addAndGet(9_000); // the node restarts: its new process runs the rate from its own start
        clocks.configure(1, new ProcessBuilder("true"));
        assertEquals("+2.000 x1.500000", clocks.spec(1));
    }
}
