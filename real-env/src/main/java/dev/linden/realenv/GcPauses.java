package dev.linden.realenv;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The pauses a node JVM's own GC log ({@code -Xlog:gc:file=...}) reports, summed up in one line: a write's
 * latency includes every pause of the leader and of the follower that completes its majority.
 */
public final class GcPauses {
    /** {@code [..][info][gc] GC(12) Pause Young (Allocation Failure) 410M->12M(1024M) 3.456ms}. */
    private static final Pattern PAUSE = Pattern.compile("\\bPause\\b.*\\s(\\d+(?:\\.\\d+)?)ms\\s*$");

    private GcPauses() {}

    /** {@code [2026-12-06T07:53:01.123+0000]...}: the {@code utctime} decoration, when the log has it. */
    private static final Pattern UTC = Pattern.compile("^\\[(\\d{4}-\\d\\d-\\d\\dT[^]]+)]");

    private static final DateTimeFormatter UTC_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSZ");

    /** One pause: how long, and when it ended (wall clock), -1 if the log has no time decoration. */
    public record Pause(double millis, long endMillis) {}

    /** The pauses with the time each ended ({@code -Xlog:gc:file=…:utctime,uptime}), in the order logged. */
    public static List<Pause> readTimed(Path gcLog) throws IOException {
        List<Pause> out = new ArrayList<>();
        for (String line : Files.readAllLines(gcLog)) {
            Matcher m = PAUSE.matcher(line);
            if (m.find()) {
                Matcher t = UTC.matcher(line);
                long at = t.find()
                        ? OffsetDateTime.parse(t.group(1), UTC_TIME).toInstant().toEpochMilli()
                        : -1;
                out.add(new Pause(Double.parseDouble(m.group(1)), at));
            }
        }
        return out;
    }

    /** {@code gc pauses n=… max=… total=… ms} of {@code pauses}. */
    static String describe(List<GcPauses.Pause> pauses) {
        double max = pauses.stream().mapToDouble(GcPauses.Pause::millis).max().orElse(0);
        double total = pauses.stream().mapToDouble(GcPauses.Pause::millis).sum();
        return String.format(Locale.ROOT, "gc pauses n=%d max=%.3f total=%.3f ms", pauses.size(), max, total);
    }

    /** The pauses in milliseconds, in the order logged. */
    public static List<Double> read(Path gcLog) throws IOException {
        List<Double> out = new ArrayList<>();
        for (String line : Files.readAllLines(gcLog)) {
            Matcher m = PAUSE.matcher(line);
            if (m.find()) {
                out.add(Double.parseDouble(m.group(1)));
            }
        }
        return out;
    }

    /** {@code gc pauses n=… p50=… p99=… max=… total=… ms}, or why there is none. */
    public static String summary(Path gcLog) {
        List<Double> pauses;
        try {
            pauses = new ArrayList<>(read(gcLog));
        } catch (IOException e) {
            return "gc pauses: no log (" + e.getMessage() + ")";
        }
        if (pauses.isEmpty()) {
            return "gc pauses n=0";
        }
        pauses.sort(null);
        double total = pauses.stream().mapToDouble(Double::doubleValue).sum();
        return String.format(
                Locale.ROOT,
                "gc pauses n=%d p50=%.3f p99=%.3f max=%.3f total=%.3f ms",
                pauses.size(),
                at(pauses, 0.50),
                at(pauses, 0.99),
                pauses.get(pauses.size() - 1),
                total);
    }

    private static double at(List<Double> sorted, double p) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.floor(p * sorted.size())));
    }
}
