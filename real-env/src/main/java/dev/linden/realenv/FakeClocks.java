package dev.linden.realenv;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Each node process's clocks, wall and monotonic (so its timers too), run under Debian's libfaketime and
 * follow a control file the nemesis rewrites: an offset from real time and a rate.
 */
final class FakeClocks {
    static final Path LIBFAKETIME = Path.of("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1");
    /** How long a node may take to read its control file anew (FAKETIME_CACHE_DURATION, 1 s), and a margin. */
    static final long RATE_READ_MILLIS = 1_200;

    private final Path dir;
    private final boolean enabled;
    /** Per node: the clock offset in ms and the rate the control file holds. */
    private final Map<Integer, Long> offsetMillis = new ConcurrentHashMap<>();

    private final Map<Integer, Double> rate = new ConcurrentHashMap<>();
    /**
     * Per node, for its current process: milliseconds added to the offset so that a change of rate does not
     * step its clocks. libfaketime runs a rate from the moment the process started, {@code start + offset +
     * (now - start) * rate}, so a new rate alone would step a minute-old process's clocks by half a minute (back,
     * for a slower rate: its timers then wait that long). Up to the second libfaketime takes to read the file
     * anew ({@link #RATE_READ_MILLIS}) times the change of rate remains: at most half a second for the largest.
     */
    private final Map<Integer, Double> keptMillis = new ConcurrentHashMap<>();
    /** Per node: when its current process was started (libfaketime's start, to a few milliseconds). */
    private final Map<Integer, Long> lifeStartMillis = new ConcurrentHashMap<>();

    /** @param wanted whether clock faults were asked for (they also need libfaketime installed) */
    FakeClocks(Path dir, boolean wanted) {
        this(dir, wanted && Files.isReadable(LIBFAKETIME), System::currentTimeMillis);
    }

    /** @param nowMillis the harness's clock (tests give their own) */
    FakeClocks(Path dir, boolean enabled, LongSupplier nowMillis) {
        this.dir = dir;
        this.enabled = enabled;
        this.nowMillis = nowMillis;
    }

    private final LongSupplier nowMillis;

    /** Can node clocks be moved at all? */
    boolean movable() {
        return enabled;
    }

    /** Why they cannot, for a fault's no-effect evidence. */
    static String whyNotMovable() {
        return Files.isReadable(LIBFAKETIME)
                ? "the nodes were started without libfaketime"
                : "clock faults on local processes need libfaketime (apt-get install faketime)";
    }

    /** Sets a node process up to follow its control file (written now if it has none yet). */
    void configure(int id, ProcessBuilder pb) throws IOException {
        if (!enabled) {
            return;
        }
        keptMillis.put(id, 0.0); // a new process: its rate runs from now
        lifeStartMillis.put(id, nowMillis.getAsLong());
        write(id);
        pb.environment().put("LD_PRELOAD", LIBFAKETIME.toString());
        pb.environment().put("FAKETIME_TIMESTAMP_FILE", file(id).toString());
        pb.environment().put("FAKETIME_CACHE_DURATION", "1");
    }

    /** Steps node {@code id}'s clock by {@code jumpMillis} and sets its rate; returns the new offset. */
    long move(int id, long jumpMillis, double newRate) throws IOException {
        long offset = offsetMillis.merge(id, jumpMillis, Long::sum);
        changeRate(id, newRate);
        write(id);
        return offset;
    }

    /** The rate goes back to normal; the offset stays, as a stepped clock stays stepped. */
    void normalRate(int id) throws IOException {
        changeRate(id, 1.0);
        write(id);
    }

    /** Sets a node's rate, keeping its clocks where they are now ({@link #keptMillis}). */
    private void changeRate(int id, double newRate) {
        long now = nowMillis.getAsLong();
        double ageMillis = now - lifeStartMillis.getOrDefault(id, now);
        keptMillis.merge(id, ageMillis * (rate.getOrDefault(id, 1.0) - newRate), Double::sum);
        rate.put(id, newRate);
    }

    /** Node {@code id}'s control file as written ("+S.sss xRATE"). */
    String spec(int id) throws IOException {
        return Files.readString(file(id)).strip();
    }

    private Path file(int id) {
        return dir.resolve("clock-n" + id + ".rc");
    }

    /** Writes node {@code id}'s control file: "+S.sss xRATE" (libfaketime reads it within a second). */
    private void write(int id) throws IOException {
        double offset = offsetMillis.getOrDefault(id, 0L) + keptMillis.getOrDefault(id, 0.0);
        double r = rate.getOrDefault(id, 1.0);
        // The rate is always written: libfaketime keeps the last rate it read when a spec names none, so a
        // "+S" alone never set a faulted clock's rate back to normal (until 2026-12-06 none was).
        String spec = String.format(Locale.ROOT, "%+.3f x%.6f", offset / 1000.0, r);
        Path tmp = file(id).resolveSibling(file(id).getFileName() + ".tmp");
        Files.writeString(tmp, spec + "\n");
        Files.move(tmp, file(id), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
