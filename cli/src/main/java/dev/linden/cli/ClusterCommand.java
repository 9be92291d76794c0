package dev.linden.cli;

import dev.linden.kvnode.client.KvClient;
import dev.linden.kvnode.net.Wire;
import dev.linden.kvnode.raft.MembershipChange;
import dev.linden.kvnode.service.KvLimits;
import dev.linden.realenv.LocalCluster;
import dev.linden.realenv.NodeLaunch;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ./linden cluster start|stop|status|transfer|add|remove --nodes 3 --dir DIR}: a local cluster of
 * separate JVMs; {@code transfer --to N} hands leadership to node N (exit 0 once N leads, 1 if the transfer
 * failed); {@code add [--node N]} starts a new node, which joins empty, catches up as a learner and becomes a
 * voter; {@code remove --node N} takes node N out of the configuration (the leader hands over first) and
 * stops it. Both exit 0 once the change is committed, 1 if it was not.
 */
@Command(
        name = "cluster",
        mixinStandardHelpOptions = true,
        description = "Start, stop or inspect a local cluster of node processes on loopback.")
public final class ClusterCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "start, stop, status, transfer, add or remove")
    String action;

    @Option(names = "--nodes", description = "cluster size (default 3)")
    int nodes = 3;

    @Option(names = "--dir", description = "cluster directory (default ./linden-data)")
    Path dir = Path.of("linden-data");

    @Option(names = "--base-port", description = "peer ports are base+id, client ports base+100+id (default 7100)")
    int basePort = 7100;

    @Option(names = "--fsync", description = "on (default) or off")
    String fsync = "on";

    @Option(names = "--to", description = "transfer: the node to hand leadership to")
    Integer to;

    @Option(
            names = "--insecure",
            description = "start: no TLS on the nodes' ports (default: mutual TLS between nodes "
                    + "and client certificates, from a CA made in DIR/certs)")
    boolean insecure;

    @Option(names = "--node", description = "add: the new node's id (default: the next unused one); remove: the node")
    Integer node;

    @Override
    public Integer call() throws Exception {
        switch (action) {
            case "start":
                return start();
            case "stop":
                return stop();
            case "status":
                return status();
            case "transfer":
                return transfer();
            case "add":
            case "remove":
                return changeMembership();
            default:
                System.err.println("linden cluster: action must be start, stop, status, transfer, add or remove");
                return 2;
        }
    }

    private int changeMembership() throws Exception {
        if (!Files.exists(dir.resolve("cluster.properties"))) {
            System.out.println("no cluster in " + dir);
            return 1;
        }
        LocalCluster c = LocalCluster.open(dir.toAbsolutePath());
        boolean add = action.equals("add");
        if (!add && node == null) {
            System.err.println("linden cluster: remove needs --node NODE");
            return 2;
        }
        int id = node != null ? node : c.nodes + 1;
        if (add && (id <= c.nodes && !c.joined.contains(id) || c.removed.contains(id))) {
            System.err.println("linden cluster: node " + id + " is or was a member; add a node with a new id");
            return 2;
        }
        if (add) {
            c.nodes = Math.max(c.nodes, id);
            c.joined.add(id);
            c.writeLayout();
            if (c.process(id).isEmpty()) {
                c.startNode(
                        id,
                        !"off".equals(fsync),
                        NodeLaunch.memoryFlags("512m", KvLimits.defaults().quotaBytes(), 128L << 20));
            }
        }
        MembershipChange change =
                add ? MembershipChange.addVoter(id, "127.0.0.1:" + c.peerPort(id)) : MembershipChange.remove(id);
        try (KvClient client = c.client(KvClient.Options.defaults())) {
            Wire.MembershipResponse r = c.changeMembership(client, change, 60_000);
            System.out.println((r.ok() ? "committed: " : "not committed: ") + r.message());
            if (add && !r.ok() && r.ended()) {
                // The add ended for good and its learner was taken out again: its id is not used again.
                c.removed.add(id);
                c.writeLayout();
                c.stopNode(id, 10_000);
                System.out.println("node " + id + " stopped; add a node under a new id");
            }
            if (r.ok() && !add) {
                c.removed.add(id);
                c.writeLayout();
                c.stopNode(id, 10_000);
                System.out.println("node " + id + " stopped; it is no longer started with the cluster");
            }
            return r.ok() ? 0 : 1;
        }
    }

    private int start() throws Exception {
        // An existing layout keeps its cluster id and knows the cluster was bootstrapped.
        LocalCluster c = Files.exists(dir.resolve("cluster.properties"))
                ? LocalCluster.open(dir.toAbsolutePath())
                : new LocalCluster(dir.toAbsolutePath(), nodes, basePort).insecure(insecure);
        if (insecure && !c.isInsecure()) {
            System.err.println("linden cluster: " + dir + " was started with TLS; it stays so (no --insecure)");
            return 2;
        }
        c.writeLayout();
        System.out.println(
                c.isInsecure()
                        ? "INSECURE: nodes start with --insecure (no TLS on any port)"
                        : "TLS: certificates of cluster " + c.clusterId + " in " + c.certsDir());
        TreeMap<Integer, Process> started = new TreeMap<>();
        for (int i = 1; i <= c.nodes; i++) {
            if (c.removed.contains(i)) {
                continue; // removed from the cluster
            }
            if (c.process(i).isPresent()) {
                System.out.println("node " + i + " already running");
                continue;
            }
            started.put(
                    i,
                    c.startNode(
                            i,
                            !"off".equals(fsync),
                            NodeLaunch.memoryFlags("512m", KvLimits.defaults().quotaBytes(), 128L << 20)));
        }
        int failed = 0;
        try (KvClient client = c.client(KvClient.Options.defaults())) {
            // A node counts as started once it answers on its client port; one that exits first is
            // reported with its exit code and the end of its log.
            long deadline = System.currentTimeMillis() + 30_000;
            TreeSet<Integer> waiting = new TreeSet<>(started.keySet());
            while (!waiting.isEmpty() && System.currentTimeMillis() < deadline) {
                for (var it = waiting.iterator(); it.hasNext(); ) {
                    int i = it.next();
                    Process p = started.get(i);
                    if (!p.isAlive()) {
                        it.remove();
                        failed++;
                        System.out.println("node " + i + " FAILED to start: exited with code " + p.exitValue()
                                + "; last lines of " + c.nodeDir(i).resolve("stdout.log") + ":");
                        c.lastLogLines(i, 8).forEach(l -> System.out.println("    " + l));
                    } else if (c.status(client, i).isPresent()) {
                        it.remove();
                        System.out.println(
                                "node " + i + " started, pid " + p.pid() + ", clients on 127.0.0.1:" + c.clientPort(i));
                    }
                }
                Thread.sleep(100);
            }
            for (int i : waiting) {
                failed++;
                System.out.println("node " + i + " did not answer within 30 s (pid "
                        + started.get(i).pid() + "); see "
                        + c.nodeDir(i).resolve("stdout.log"));
            }
            if (failed < c.nodes && !c.existing()) {
                c.markExisting(); // bootstrapped: an empty data dir from now on means lost data
            }
            Optional<Integer> leader = c.awaitLeader(client, 15_000);
            if (leader.isEmpty()) {
                System.out.println("no leader within 15 s; see " + c.dir + "/node-*/stdout.log");
                return 1;
            }
            System.out.println("leader: node " + leader.get());
            System.out.println("endpoints: " + c.clientEndpointsSpec());
        }
        return failed == 0 ? 0 : 1;
    }

    private int stop() throws Exception {
        if (!Files.exists(dir.resolve("cluster.properties"))) {
            System.out.println("no cluster in " + dir);
            return 1;
        }
        LocalCluster c = LocalCluster.open(dir.toAbsolutePath());
        for (int i = 1; i <= c.nodes; i++) {
            System.out.println("node " + i + (c.stopNode(i, 10_000) ? " stopped" : " was not running"));
        }
        return 0;
    }

    private int status() throws Exception {
        if (!Files.exists(dir.resolve("cluster.properties"))) {
            System.out.println("no cluster in " + dir);
            return 1;
        }
        LocalCluster c = LocalCluster.open(dir.toAbsolutePath());
        try (KvClient client = c.client(KvClient.Options.defaults())) {
            Map<Integer, Wire.StatusResponse> s = c.status(client);
            int up = 0;
            for (int i = 1; i <= c.nodes; i++) {
                if (c.removed.contains(i)) {
                    System.out.printf("node %d  removed from the cluster%n", i);
                    continue;
                }
                Wire.StatusResponse r = s.get(i);
                String pid = c.process(i).map(p -> "pid " + p.pid()).orElse("no process");
                if (r == null) {
                    System.out.printf("node %d  %-12s not answering%n", i, pid);
                } else {
                    up++;
                    System.out.printf(
                            "node %d  %-12s %-9s term %d  leader %d  commit %d  applied %d%n",
                            i, pid, r.role(), r.term(), r.leaderId(), r.commitIndex(), r.appliedIndex());
                }
            }
            return up > (c.nodes - c.removed.size()) / 2 ? 0 : 1;
        }
    }

    private int transfer() throws Exception {
        if (to == null) {
            System.err.println("linden cluster: transfer needs --to NODE");
            return 2;
        }
        if (!Files.exists(dir.resolve("cluster.properties"))) {
            System.out.println("no cluster in " + dir);
            return 1;
        }
        LocalCluster c = LocalCluster.open(dir.toAbsolutePath());
        try (KvClient client = c.client(KvClient.Options.defaults())) {
            Optional<Integer> leader = c.awaitLeader(client, 10_000);
            if (leader.isEmpty()) {
                System.out.println("no leader to hand over from");
                return 1;
            }
            Wire.TransferResponse r =
                    client.transferLeadership(leader.get(), to, 10_000).get();
            System.out.println((r.ok() ? "transferred: " : "not transferred: ") + r.message() + " (asked node "
                    + leader.get() + ")");
            return r.ok() ? 0 : 1;
        }
    }
}
