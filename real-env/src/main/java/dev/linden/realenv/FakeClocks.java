package dev.linden.realenv;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Each node process's clocks, wall and monotonic (so its timers too), run under Debian's libfaketime and
 * follow a control file the nemesis rewrites: an offset from real time and a rate.
 */
final class FakeClocks {
    static final Path LIBFAKETIME = Path.of("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1");
    private final Path dir;
    private final boolean enabled;
    /** Per node: the clock offset in ms and the rate the control file holds. */
    private final Map<Integer, Long> offsetMillis = new ConcurrentHashMap<>();

    private final Map<Integer, Double> rate = new ConcurrentHashMap<>();

    /** @param wanted whether clock faults were asked for (they also need libfaketime installed) */
    FakeClocks(Path dir, boolean wanted) {
        this.dir = dir;
        this.enabled = wanted && Files.isReadable(LIBFAKETIME);
    }

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
        if (!Files.exists(file(id))) {
            write(id);
        }
        pb.environment().put("LD_PRELOAD", LIBFAKETIME.toString());
        pb.environment().put("FAKETIME_TIMESTAMP_FILE", file(id).toString());
        pb.environment().put("FAKETIME_CACHE_DURATION", "1");
    }

    /** Steps node {@code id}'s clock by {@code jumpMillis} and sets its rate; returns the new offset. */
    long move(int id, long jumpMillis, double newRate) throws IOException {
        long offset = offsetMillis.merge(id, jumpMillis, Long::sum);
        rate.put(id, newRate);
        write(id);
        return offset;
    }

    /** The rate goes back to normal; the offset stays, as a stepped clock stays stepped. */
    void normalRate(int id) throws IOException {
        rate.put(id, 1.0);
        write(id);
    }

    private Path file(int id) {
        return dir.resolve("clock-n" + id + ".rc");
    }

    /** Writes node {@code id}'s control file: "+S.sss xRATE" (libfaketime reads it within a second). */
    private void write(int id) throws IOException {
        long offset = offsetMillis.getOrDefault(id, 0L);
        double r = rate.getOrDefault(id, 1.0);
        String spec = String.format(Locale.ROOT, "%+.3f", offset / 1000.0)
                + (r == 1.0 ? "" : String.format(Locale.ROOT, " x%.6f", r));
        Path tmp = file(id).resolveSibling(file(id).getFileName() + ".tmp");
        Files.writeString(tmp, spec + "\n");
        Files.move(tmp, file(id), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
