package dev.linden.kvnode.server;

import dev.linden.kvnode.net.ClientServer;
import dev.linden.kvnode.net.PeerTransport;
import dev.linden.kvnode.node.RaftNode;
import dev.linden.kvnode.stats.LatencyTimes;
import dev.linden.kvnode.wal.NioVfs;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * What a node says as it shuts down, on stdout (not the logger: JUL resets its handlers in its own shutdown
 * hook): its peer traffic and commit index, and where its share of a write's latency went.
 */
final class ShutdownLines {
    private ShutdownLines() {}

    /**
     * A node's recorders of where a write's time goes: the raft stage's queue and tasks, proposals' commits, the
     * apply stage's queue and tasks, the fsyncs, and each client request's time on the node (arrival to answer
     * written) with its last part (answer ready to written).
     */
    static List<LatencyTimes> latencyTimes(
            RaftNode node, ThreadStage raft, ThreadStage apply, NioVfs vfs, ClientServer client) {
        List<LatencyTimes> out = new ArrayList<>(raft.latencyTimes());
        out.add(node.commitTimes());
        out.addAll(apply.latencyTimes());
        if (vfs != null) {
            out.add(vfs.fsyncTimes());
        }
        if (client != null) {
            out.add(client.requestTimes());
            out.add(client.replyTimes());
        }
        return out;
    }

    static void print(
            int id,
            PeerTransport transport,
            RaftNode node,
            ThreadStage raft,
            ThreadStage apply,
            NioVfs vfs,
            ClientServer client) {
        System.out.println("node " + id + " at shutdown: " + transport.stats() + "; commit "
                + node.softState().commitIndex());
        // The same recorders as the times log, in one place: a new one shows in both.
        System.out.println("node " + id + " times: "
                + latencyTimes(node, raft, apply, vfs, client).stream()
                        .map(LatencyTimes::summary)
                        .collect(Collectors.joining(", ")));
    }
}
