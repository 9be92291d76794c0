package dev.linden.kvnode.server;

import dev.linden.kvnode.tls.NodeSecurity;
import dev.linden.kvnode.wal.NodeIdentity;
import dev.linden.kvnode.wal.Vfs;
import java.io.IOException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

/**
 * At start, before anything in the data dir changes: the data dir's identity (cluster, node id, incarnation;
 * made for a new cluster, checked for an existing one) and the certificate's cluster, which must be the same.
 */
final class IdentityCheck {
    private IdentityCheck() {}

    /** The data dir's identity, established or checked against {@code options} and {@code security}. */
    static NodeIdentity establish(Vfs vfs, KvNodeServer.Options options, NodeSecurity security) throws IOException {
        List<Integer> members = options.initialVoters().isEmpty()
                ? new ArrayList<>(options.peers().keySet())
                : options.initialVoters();
        NodeIdentity identity = NodeIdentity.establish(
                vfs, options.clusterId(), options.id(), members, options.initialState(), freshIncarnation());
        if (security.peersAuthenticated() && !security.clusterId().equals(identity.clusterId())) {
            throw new IOException("this node's certificate is of cluster " + security.clusterId() + " but its data dir "
                    + "belongs to cluster " + identity.clusterId());
        }
        return identity;
    }

    /** A data dir's incarnation: random and never 0 (0 marks a data dir made before incarnations). */
    private static long freshIncarnation() {
        long v = 0;
        SecureRandom r = new SecureRandom();
        while (v == 0) {
            v = r.nextLong();
        }
        return v;
    }
}
