package dev.linden.kvnode.stats;

import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;
import org.HdrHistogram.Recorder;

/**
 * Latencies a node measures of itself, in an HdrHistogram recorder (any thread records, without locks), and
 * said in one line at shutdown: where the time of a write goes on this node (a stage's queue, its tasks, the
 * fsync). Cheap enough to stay on: two clock reads and a counter increment per sample.
 */
public final class LatencyTimes {
    /** Longest latency kept apart (longer ones count as this): one minute. */
    static final long MAX_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final String name;
    private final Recorder recorder = new Recorder(MAX_NANOS, 2);
    private final Histogram total = new Histogram(MAX_NANOS, 2);

    public LatencyTimes(String name) {
        this.name = name;
    }

    public void record(long nanos) {
        recorder.recordValue(Math.max(0, Math.min(nanos, MAX_NANOS)));
    }

    /**
     * Writes what was recorded since the last call (kept for {@link #summary} too) to {@code log}, tagged with this
     * name and stamped with the interval's wall-clock start and end, so a reader can take the part of a run it
     * measured.
     */
    public synchronized void writeInterval(HistogramLogWriter log) {
        Histogram interval = recorder.getIntervalHistogram();
        total.add(interval);
        interval.setTag(name);
        log.outputIntervalHistogram(interval);
    }

    /**
     * {@code NAME n=COUNT p50=… p99=… p999=… max=… ms} over everything recorded since the start (the recorder's
     * intervals are added up here, on the caller's thread).
     */
    public synchronized String summary() {
        total.add(recorder.getIntervalHistogram());
        return describe(name, total);
    }

    /** {@code NAME n=COUNT p50=… p99=… p999=… max=… ms} of a histogram of nanoseconds, or {@code NAME n=0}. */
    public static String describe(String name, Histogram h) {
        if (h.getTotalCount() == 0) {
            return name + " n=0";
        }
        return String.format(
                Locale.ROOT,
                "%s n=%d p50=%.3f p99=%.3f p999=%.3f max=%.3f ms",
                name,
                h.getTotalCount(),
                h.getValueAtPercentile(50) / 1e6,
                h.getValueAtPercentile(99) / 1e6,
                h.getValueAtPercentile(99.9) / 1e6,
                h.getMaxValue() / 1e6);
    }
}
