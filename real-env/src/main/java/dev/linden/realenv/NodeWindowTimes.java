package dev.linden.realenv;

import dev.linden.kvnode.stats.LatencyTimes;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import org.HdrHistogram.EncodableHistogram;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogReader;

/**
 * Where a write's time went on one node during a bench's measured window, from the node's own logs: the intervals
 * of its times log ({@code times.hlog}, written with {@code --test-only-times-log-ms}: its stages' queue waits and
 * task times and its fsyncs) whose middle lies inside the window, added up per recorder, and the GC pauses its
 * JVM logged inside it. A node's whole-run line also counts the warmup, the JIT's first minutes and the start.
 */
public final class NodeWindowTimes {
    private NodeWindowTimes() {}

    /** {@code NAME n=… p50=… p99=… p999=… max=… ms, …} per recorder over the window, or why there is none. */
    public static String times(Path timesLog, long fromMillis, long toMillis) {
        Map<String, Histogram> byName = new LinkedHashMap<>();
        try (HistogramLogReader reader = new HistogramLogReader(timesLog.toFile())) {
            EncodableHistogram e;
            while ((e = reader.nextIntervalHistogram()) != null) {
                long middle = (e.getStartTimeStamp() + e.getEndTimeStamp()) / 2;
                if (middle >= fromMillis && middle <= toMillis && e instanceof Histogram h) {
                    String name = h.getTag() == null ? "?" : h.getTag();
                    byName.computeIfAbsent(name, k -> new Histogram(h.getHighestTrackableValue(), 2))
                            .add(h);
                }
            }
        } catch (IOException | RuntimeException e) {
            return "no times log (" + e.getMessage() + ")";
        }
        if (byName.isEmpty()) {
            return "no times in the window";
        }
        StringJoiner out = new StringJoiner(", ");
        byName.forEach((name, h) -> out.add(LatencyTimes.describe(name, h)));
        return out.toString();
    }

    /** {@code gc pauses n=… max=… total=… ms} of the pauses that ended inside the window. */
    public static String gcPauses(Path gcLog, long fromMillis, long toMillis) {
        List<GcPauses.Pause> pauses;
        try {
            pauses = GcPauses.readTimed(gcLog).stream()
                    .filter(p -> p.endMillis() >= fromMillis && p.endMillis() <= toMillis)
                    .toList();
        } catch (IOException e) {
            return "gc pauses: no log (" + e.getMessage() + ")";
        }
        return GcPauses.describe(pauses);
    }
}
