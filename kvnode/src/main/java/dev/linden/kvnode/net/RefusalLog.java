package dev.linden.kvnode.net;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * Rate-limited warnings for connections a port refuses or closes: under a flood, one line per event and
 * reason per {@link #EVERY_MILLIS} with the count since the last line, so a flood cannot fill the disk
 * through the log.
 */
final class RefusalLog {
    static final long EVERY_MILLIS = 1_000;

    private final Logger log;
    private final LongSupplier millisClock;
    private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();
    private final Map<String, Long> lastMillis = new ConcurrentHashMap<>();

    RefusalLog(Logger log, LongSupplier millisClock) {
        this.log = log;
        this.millisClock = millisClock;
    }

    /** Counts one refusal; logs {@code event=EVENT reason=REASON DETAIL count=N} at most once a second. */
    void refused(String event, String reason, String detail) {
        String key = event + " " + reason;
        AtomicLong count = counts.computeIfAbsent(key, k -> new AtomicLong());
        count.incrementAndGet();
        long now = millisClock.getAsLong();
        Long last = lastMillis.get(key);
        if (last != null && now - last < EVERY_MILLIS) {
            return;
        }
        if (last == null ? lastMillis.putIfAbsent(key, now) != null : !lastMillis.replace(key, last, now)) {
            return; // another thread logs this one
        }
        log.warning("event=" + event + " reason=" + reason + (detail.isEmpty() ? "" : " " + detail) + " count="
                + count.getAndSet(0));
    }
}
