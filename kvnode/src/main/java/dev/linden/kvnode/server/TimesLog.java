package dev.linden.kvnode.server;

import dev.linden.kvnode.stats.LatencyTimes;
import java.io.FileNotFoundException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.HistogramLogWriter;

/**
 * Test and bench only ({@code --test-only-times-log-ms}): every interval, what each of the node's latency
 * recorders took since the last one, written to a file in HdrHistogram's interval log format (one histogram per
 * recorder and interval, tagged with the recorder's name, stamped with wall-clock start and end). A bench reads
 * the intervals inside its measured window, so a stage's tail is the window's and not the warmup's or the JIT's.
 * The file grows by a few kilobytes per interval and is never rotated, so a real deployment does not write it.
 */
final class TimesLog implements AutoCloseable {
    private final List<LatencyTimes> times;
    private final PrintStream out;
    private final HistogramLogWriter writer;
    private final ScheduledExecutorService timer;

    private TimesLog(Path file, List<LatencyTimes> times, long intervalMillis) throws FileNotFoundException {
        this.times = times;
        this.out = new PrintStream(file.toFile());
        this.writer = new HistogramLogWriter(out);
        writer.outputLogFormatVersion();
        writer.outputLegend();
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "times-log");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleAtFixedRate(this::writeAll, intervalMillis, intervalMillis, TimeUnit.MILLISECONDS);
    }

    /** A log of {@code times} every {@code intervalMillis} into {@code file}; nothing at all for 0. */
    static AutoCloseable start(long intervalMillis, Path file, List<LatencyTimes> times) throws FileNotFoundException {
        if (intervalMillis < 0) {
            throw new IllegalArgumentException("--test-only-times-log-ms must be >= 0, got " + intervalMillis);
        }
        return intervalMillis == 0 ? () -> {} : new TimesLog(file, times, intervalMillis);
    }

    private synchronized void writeAll() {
        times.forEach(t -> t.writeInterval(writer));
        out.flush();
    }

    /** Writes the last interval and closes the file. */
    @Override
    public void close() {
        timer.shutdownNow();
        writeAll();
        out.close();
    }
}
