package dev.linden.realenv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.kvnode.stats.LatencyTimes;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.HdrHistogram.HistogramLogWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeWindowTimesTest {
    @Test
    void takesTheTimesLogsIntervalsInsideTheWindowPerRecorder(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("times.hlog");
        LatencyTimes wait = new LatencyTimes("raft-1-wait");
        LatencyTimes fsync = new LatencyTimes("fsync");
        long before = System.currentTimeMillis();
        try (PrintStream out = new PrintStream(file.toFile())) {
            HistogramLogWriter log = new HistogramLogWriter(out);
            log.outputLogFormatVersion();
            wait.record(2_000_000);
            wait.record(4_000_000);
            fsync.record(1_000_000);
            wait.writeInterval(log);
            fsync.writeInterval(log);
        }
        long after = System.currentTimeMillis();
        String times = NodeWindowTimes.times(file, before - 60_000, after + 60_000);
        assertTrue(times.startsWith("raft-1-wait n=2 p50=2.0"), times); // two significant digits kept
        assertTrue(times.contains(", fsync n=1 p50=1.0"), times);
        assertEquals("no times in the window", NodeWindowTimes.times(file, after + 60_000, after + 120_000));
        assertTrue(NodeWindowTimes.times(dir.resolve("none.hlog"), 0, 1).startsWith("no times log"));
        assertTrue(wait.summary().startsWith("raft-1-wait n=2 "), "the whole-run line still counts what was logged");
    }

    @Test
    void takesTheGcPausesThatEndedInsideTheWindow(@TempDir Path dir) throws Exception {
        Path log = Files.writeString(
                dir.resolve("gc.log"),
                String.join(
                        "\n",
                        "[2026-12-06T07:53:00.000+0000][0.010s][info][gc] Using Parallel",
                        "[2026-12-06T07:53:01.000+0000][1.000s][info][gc] GC(0) Pause Young (Allocation Failure) "
                                + "300M->28M(974M) 134.207ms",
                        "[2026-12-06T07:53:05.500+0000][5.500s][info][gc] GC(1) Pause Young (Allocation Failure) "
                                + "328M->30M(974M) 8.5ms",
                        "[2026-12-06T07:53:09.000+0000][9.000s][info][gc] GC(2) Pause Young (Allocation Failure) "
                                + "330M->30M(974M) 4.25ms",
                        ""));
        long t0 = 1796543580000L; // 2026-12-06T07:53:00Z
        assertEquals(
                List.of(t0 + 1_000, t0 + 5_500, t0 + 9_000),
                GcPauses.readTimed(log).stream().map(GcPauses.Pause::endMillis).toList());
        assertEquals("gc pauses n=2 max=8.500 total=12.750 ms", NodeWindowTimes.gcPauses(log, t0 + 2_000, t0 + 9_000));
        assertEquals("gc pauses n=3 p50=8.500 p99=134.207 max=134.207 total=146.957 ms", GcPauses.summary(log));
    }
}
