package dev.linden.kvnode.server;

import io.netty.util.internal.PlatformDependent;
import java.lang.management.ManagementFactory;

/**
 * How a node divides the memory its JVM has between the heap, Netty's direct buffers and the value
 * store's direct slabs, computed from the JVM's own limits so that a node started with no flags is as
 * safe as one given them.
 *
 * <p>Netty counts its buffers against its own limit ({@code io.netty.maxDirectMemory}, set by
 * {@link #beforeNetty()} before any Netty class loads) when it may reach java.nio (the jar's manifest
 * opens it to {@code java -jar}; {@code cluster start} passes the flags). Its buffers are then outside
 * the JVM's direct limit, which is left to values. Where it may not, Netty and values share the JVM's
 * direct limit, and values get only what remains after Netty's share. Either way the value store keeps
 * to {@link #valuesDirectBytes} ({@code ValueStore}: past it, values live on the heap), so values can
 * never take Netty's share, and the quota must fit at start.
 *
 * @param heapBytes          the JVM's heap limit
 * @param jvmDirectBytes     the JVM's direct memory limit (-XX:MaxDirectMemorySize, by default the heap's)
 * @param nettyDirectBytes   what Netty's buffers may hold
 * @param valuesDirectBytes  what the value store's direct slabs may hold
 * @param nettyCountsOwn     whether Netty's buffers are counted apart from the JVM's direct limit
 */
public record MemorySplit(
        long heapBytes, long jvmDirectBytes, long nettyDirectBytes, long valuesDirectBytes, boolean nettyCountsOwn) {
    static final long MIB = 1L << 20;
    /** Netty's share when not configured: a quarter of the heap, within these bounds. */
    static final long MIN_NETTY_DIRECT_BYTES = 128 * MIB;

    static final long MAX_NETTY_DIRECT_BYTES = 1024 * MIB;
    /** Direct memory the JDK itself uses beside values (NIO's temporary buffers for file writes). */
    static final long JDK_DIRECT_RESERVE_BYTES = 32 * MIB;

    private static final String NETTY_MAX_DIRECT = "io.netty.maxDirectMemory";

    /** Netty's share where nobody configured it: a quarter of the heap, in [128 MiB, 1 GiB]. */
    static long defaultNettyDirectBytes(long heapBytes) {
        return Math.max(MIN_NETTY_DIRECT_BYTES, Math.min(MAX_NETTY_DIRECT_BYTES, heapBytes / 4));
    }

    /**
     * Sets Netty's own limit unless configured, so that it counts its buffers apart from values where it
     * can. Call before any Netty class loads (first thing in a node's main).
     */
    public static void beforeNetty() {
        if (System.getProperty(NETTY_MAX_DIRECT) == null) {
            long heap = Runtime.getRuntime().maxMemory();
            long netty = defaultNettyDirectBytes(heap);
            long physical = physicalBytes();
            if (physical > 0) { // counted apart, Netty's share comes on top of heap and JVM direct memory
                netty = Math.min(
                        netty, Math.max(MIN_NETTY_DIRECT_BYTES / 2, (physical - heap - jvmDirectBytes(heap)) / 2));
            }
            System.setProperty(NETTY_MAX_DIRECT, String.valueOf(netty));
        }
        if (System.getProperty("io.netty.tryReflectionSetAccessible") == null) {
            System.setProperty("io.netty.tryReflectionSetAccessible", "true"); // only works where java.nio is open
        }
    }

    /** This JVM's split (Netty loaded: whether it counts its own buffers is known). */
    public static MemorySplit ofThisJvm() {
        long heap = Runtime.getRuntime().maxMemory();
        boolean own = PlatformDependent.usedDirectMemory() >= 0;
        long netty = own ? PlatformDependent.maxDirectMemory() : configuredNettyDirectBytes(heap);
        return compute(heap, jvmDirectBytes(heap), netty, own);
    }

    /**
     * The split for these limits. Counted apart, Netty's share costs values nothing; shared, values get
     * the JVM's direct limit less Netty's share (and Netty's share is at most half of it).
     */
    static MemorySplit compute(long heapBytes, long jvmDirectBytes, long nettyDirectBytes, boolean nettyCountsOwn) {
        long netty = nettyCountsOwn ? nettyDirectBytes : Math.min(nettyDirectBytes, jvmDirectBytes / 2);
        long values = jvmDirectBytes - JDK_DIRECT_RESERVE_BYTES - (nettyCountsOwn ? 0 : netty);
        return new MemorySplit(heapBytes, jvmDirectBytes, netty, Math.max(0, values), nettyCountsOwn);
    }

    /**
     * Why a quota cannot be held (null: it can). A value's slot is rounded up to its size class (at most
     * twice its size); what does not fit the values' direct share lives on the heap, of which half is
     * allowed for it.
     */
    public String quotaRefusal(long quotaBytes) {
        long room = valuesDirectBytes + heapBytes / 2;
        if (2 * quotaBytes <= room) {
            return null;
        }
        return "the quota of " + quotaBytes / MIB + " MiB needs " + 2 * quotaBytes / MIB + " MiB for values, and this "
                + "JVM has " + valuesDirectBytes / MIB + " MiB of direct memory for them plus half its heap ("
                + heapBytes / 2 / MIB + " MiB): lower --quota-bytes or raise -Xmx / -XX:MaxDirectMemorySize";
    }

    /** The largest quota {@link #quotaRefusal} accepts (at least 1 MiB). */
    public long maxQuotaBytes() {
        return Math.max(MIB, (valuesDirectBytes + heapBytes / 2) / 2);
    }

    /** The one start-up line saying what was chosen. */
    public String logLine() {
        return "event=memory-split heap-mb=" + heapBytes / MIB + " netty-direct-mb=" + nettyDirectBytes / MIB
                + " values-direct-mb=" + valuesDirectBytes / MIB + " jvm-direct-mb=" + jvmDirectBytes / MIB
                + " physical-mb=" + physicalBytes() / MIB + " netty-counted="
                + (nettyCountsOwn ? "apart" : "shared-with-values");
    }

    private static long configuredNettyDirectBytes(long heap) {
        String v = System.getProperty(NETTY_MAX_DIRECT);
        try {
            long n = v == null ? -1 : Long.parseLong(v.trim());
            return n > 0 ? n : defaultNettyDirectBytes(heap);
        } catch (NumberFormatException e) {
            return defaultNettyDirectBytes(heap);
        }
    }

    /** -XX:MaxDirectMemorySize, or the heap's limit, the JVM's default for it. */
    static long jvmDirectBytes(long heap) {
        try {
            com.sun.management.HotSpotDiagnosticMXBean hs =
                    ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            long v = Long.parseLong(hs.getVMOption("MaxDirectMemorySize").getValue());
            return v > 0 ? v : heap;
        } catch (RuntimeException e) {
            return heap;
        }
    }

    /** Physical memory, for the log (0 where unknown). */
    static long physicalBytes() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getTotalMemorySize()
                : 0;
    }
}
