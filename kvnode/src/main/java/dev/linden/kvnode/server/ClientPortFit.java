package dev.linden.kvnode.server;

import dev.linden.kvnode.net.ClientPortLimits;
import dev.linden.kvnode.net.FileHandleReserve;
import java.lang.management.ManagementFactory;
import java.util.logging.Logger;

/**
 * The client port's limits fitted to what this process has: no more connections than file handles left
 * after the storage reserve, and no more request bytes in flight than a quarter of Netty's share of direct
 * memory. Each lowering is logged, so an operator sees which limit the node really runs with.
 */
final class ClientPortFit {
    /** The node's start-up lines come from one logger (its name is in every line). */
    private static final Logger LOG = Logger.getLogger(KvNodeServer.class.getName());

    private ClientPortFit() {}

    /** {@code limits}, lowered where the process's file handles or direct memory cannot hold them. */
    static ClientPortLimits fit(ClientPortLimits limits, FileHandleReserve fileHandles, MemorySplit memory) {
        int fdRoom = (int) Math.min(Integer.MAX_VALUE, maxFileHandles() - fileHandles.reserveFileHandles());
        if (fdRoom < limits.maxConnections()) {
            LOG.warning("event=limit-lowered what=max-client-connections from=" + limits.maxConnections() + " to="
                    + Math.max(1, fdRoom) + " reason=file-handle-limit");
            limits = limits.withMaxConnections(Math.max(1, fdRoom));
        }
        // Request bytes clients may have Netty hold: a quarter of its share (a buffer being filled may be up to
        // twice its frame; the rest is for peers' frames and outbound data).
        long clientBytesMax = Math.max(limits.maxRequestBytes(), memory.nettyDirectBytes() / 4);
        if (limits.maxTotalInflightBytes() > clientBytesMax) {
            LOG.warning("event=limit-lowered what=client-inflight-bytes from=" + limits.maxTotalInflightBytes() + " to="
                    + clientBytesMax + " reason=netty-direct-memory");
            limits = limits.withInflightBytes(
                    Math.min(limits.maxConnectionInflightBytes(), clientBytesMax), clientBytesMax);
        }
        return limits;
    }

    /** The process's file handle limit (a large number where it cannot be read). */
    static long maxFileHandles() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
            return unix.getMaxFileDescriptorCount();
        }
        return Integer.MAX_VALUE;
    }
}
