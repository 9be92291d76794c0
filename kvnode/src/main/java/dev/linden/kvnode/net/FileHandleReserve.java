package dev.linden.kvnode.net;

import java.lang.management.ManagementFactory;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Keeps file handles free for the WAL, snapshots and logs: a port asks {@link #tryTake()} before it
 * keeps a new connection, and is refused while fewer than {@code reserveFileHandles} would remain. No
 * number of connections can then make a WAL segment fail to open.
 *
 * <p>Counting open handles lists /proc/self/fd, too dear for every accept under a flood: the count is
 * sampled at most every {@link #SAMPLE_EVERY_NANOS} and every connection kept since is added to it (a
 * closed one is seen at the next sample), so the estimate errs towards refusing.
 */
public final class FileHandleReserve {
    /** File handles no connection may take: the WAL's segments, snapshots, logs, the JVM's own. */
    public static final int DEFAULT_RESERVE_FILE_HANDLES = 256;

    static final long SAMPLE_EVERY_NANOS = 100_000_000L;

    private final long reserveFileHandles;
    private final LongSupplier maxFileHandles;
    private final LongSupplier openFileHandles;
    private final LongSupplier nanoClock;
    private long sampledOpen;
    private long sampledAtNanos;
    private boolean sampled;
    private long takenSinceSample;
    public final AtomicLong refused = new AtomicLong();

    /** Suppliers of the process's limit and open count (tests give their own). */
    public FileHandleReserve(
            long reserveFileHandles,
            LongSupplier maxFileHandles,
            LongSupplier openFileHandles,
            LongSupplier nanoClock) {
        if (reserveFileHandles < 0) {
            throw new IllegalArgumentException("file handle reserve must be >= 0");
        }
        this.reserveFileHandles = reserveFileHandles;
        this.maxFileHandles = maxFileHandles;
        this.openFileHandles = openFileHandles;
        this.nanoClock = nanoClock;
    }

    /** This process's limit and open count, where the platform tells them (else never refuses). */
    public static FileHandleReserve ofProcess(long reserveFileHandles) {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
            return new FileHandleReserve(
                    reserveFileHandles,
                    unix::getMaxFileDescriptorCount,
                    unix::getOpenFileDescriptorCount,
                    System::nanoTime);
        }
        return new FileHandleReserve(reserveFileHandles, () -> Long.MAX_VALUE, () -> 0, System::nanoTime);
    }

    /** Whether a new connection may keep its handle (it then counts as taken until the next sample). */
    public synchronized boolean tryTake() {
        long now = nanoClock.getAsLong();
        if (!sampled || now - sampledAtNanos >= SAMPLE_EVERY_NANOS) {
            sampledOpen = openFileHandles.getAsLong();
            sampledAtNanos = now;
            sampled = true;
            takenSinceSample = 0;
        }
        if (freeFileHandles() < reserveFileHandles) {
            refused.incrementAndGet();
            return false;
        }
        takenSinceSample++;
        return true;
    }

    /** File handles free by the last sample, less those taken since. */
    public synchronized long freeFileHandles() {
        return maxFileHandles.getAsLong() - sampledOpen - takenSinceSample;
    }

    public long reserveFileHandles() {
        return reserveFileHandles;
    }
}
