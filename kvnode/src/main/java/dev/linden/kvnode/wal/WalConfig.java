package dev.linden.kvnode.wal;

/**
 * @param maxSegmentBytes   a segment is closed and a new one started past this size
 * @param maxPendingWrites  log writes queued or awaiting fsync; beyond it appends fail fast (back-pressure)
 */
public record WalConfig(long maxSegmentBytes, int maxPendingWrites) {
    public WalConfig {
        if (maxSegmentBytes < 1024 || maxPendingWrites < 1) {
            throw new IllegalArgumentException("bad WAL limits");
        }
    }

    public static WalConfig defaults() {
        return new WalConfig(64L << 20, 100_000);
    }
}
