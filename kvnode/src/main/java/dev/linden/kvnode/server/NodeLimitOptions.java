package dev.linden.kvnode.server;

import dev.linden.kvnode.net.ClientPortLimits;
import dev.linden.kvnode.net.PeerPortLimits;
import dev.linden.kvnode.service.KvLimits;
import java.util.Properties;
import picocli.CommandLine.Option;

/** The node's limits on keys, values, the quota and both ports' connections (a mixin of {@link NodeCommand}). */
final class NodeLimitOptions {
    @Option(names = "--max-key-bytes", description = "longest key accepted (default and most 1024)")
    Integer maxKeyBytes;

    @Option(names = "--max-value-bytes", description = "longest value accepted (default and most 1048576)")
    Integer maxValueBytes;

    @Option(
            names = "--quota-bytes",
            description = "bytes of keys and values the cluster may hold; at the quota "
                    + "writes get 'no space', reads and deletes go on (default 268435456, most 805306368)")
    Long quotaBytes;

    @Option(
            names = "--max-client-connections",
            description = "client connections at once (default 1024, and " + "below the file handle limit)")
    Integer maxClientConnections;

    @Option(
            names = "--client-idle-timeout-ms",
            description = "an idle client connection is closed after this " + "(default 300000)")
    Long clientIdleTimeoutMillis;

    @Option(
            names = "--request-read-timeout-ms",
            description = "a request must arrive whole within this of its "
                    + "first byte, or the connection is closed (default 10000)")
    Long requestReadTimeoutMillis;

    @Option(
            names = "--peer-hello-timeout-ms",
            description = "a peer connection whose Hello is not accepted within " + "this is closed (default 5000)")
    Long peerHelloTimeoutMillis;

    @Option(
            names = "--max-pending-peer-connections",
            description = "peer connections at once not yet past their "
                    + "Hello; more are closed at accept (default 32; 128 peer connections in all)")
    Integer maxPendingPeerConnections;

    KvLimits kvLimits(Properties p) {
        KvLimits kvDefaults = KvLimits.defaults();
        return new KvLimits(
                (int) NodeProperties.orDefault(
                        maxKeyBytes == null ? null : (long) maxKeyBytes,
                        NodeProperties.longProp(p, "max-key-bytes"),
                        kvDefaults.maxKeyBytes()),
                (int) NodeProperties.orDefault(
                        maxValueBytes == null ? null : (long) maxValueBytes,
                        NodeProperties.longProp(p, "max-value-bytes"),
                        kvDefaults.maxValueBytes()),
                quotaBytes(p, kvDefaults.quotaBytes()));
    }

    ClientPortLimits clientPortLimits(Properties p) {
        ClientPortLimits portDefaults = ClientPortLimits.defaults();
        return portDefaults
                .withMaxConnections((int) NodeProperties.orDefault(
                        maxClientConnections == null ? null : (long) maxClientConnections,
                        NodeProperties.longProp(p, "max-client-connections"),
                        portDefaults.maxConnections()))
                .withTimeouts(
                        NodeProperties.orDefault(
                                clientIdleTimeoutMillis,
                                NodeProperties.longProp(p, "client-idle-timeout-ms"),
                                portDefaults.idleTimeoutMillis()),
                        NodeProperties.orDefault(
                                requestReadTimeoutMillis,
                                NodeProperties.longProp(p, "request-read-timeout-ms"),
                                portDefaults.requestReadTimeoutMillis()));
    }

    PeerPortLimits peerPortLimits(Properties p) {
        PeerPortLimits peerDefaults = PeerPortLimits.defaults();
        return peerDefaults
                .withTimeouts(
                        NodeProperties.orDefault(
                                peerHelloTimeoutMillis,
                                NodeProperties.longProp(p, "peer-hello-timeout-ms"),
                                peerDefaults.helloTimeoutMillis()),
                        peerDefaults.frameReadTimeoutMillis())
                .withConnections(peerDefaults.maxPeerConnections(), (int) NodeProperties.orDefault(
                        maxPendingPeerConnections == null ? null : (long) maxPendingPeerConnections,
                        NodeProperties.longProp(p, "max-pending-peer-connections"),
                        peerDefaults.maxPendingPeerConnections()));
    }

    /** Why the default quota was lowered (null: it was not), for the log once it is set up. */
    String quotaLowered;

    /**
     * The quota: as given (the node refuses to start if its memory cannot hold it), or the default lowered to
     * what this JVM's memory split can hold.
     */
    private long quotaBytes(Properties p, long defaultBytes) {
        Long given = quotaBytes != null ? quotaBytes : NodeProperties.longProp(p, "quota-bytes");
        if (given != null) {
            return given;
        }
        MemorySplit split = MemorySplit.ofThisJvm();
        if (split.maxQuotaBytes() >= defaultBytes) {
            return defaultBytes;
        }
        quotaLowered = "event=limit-lowered what=quota-bytes from=" + defaultBytes + " to=" + split.maxQuotaBytes()
                + " reason=memory (" + split.logLine() + "); give -Xmx or --quota-bytes to choose";
        return split.maxQuotaBytes();
    }
}
