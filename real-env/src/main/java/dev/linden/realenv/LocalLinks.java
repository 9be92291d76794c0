package dev.linden.realenv;

import dev.linden.kvnode.tls.NodeSecurity;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Collection;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.IntFunction;

/**
 * The network of a {@link LocalTestCluster}: each node's peer and client ports, and either a {@link LinkProxy}
 * per pair of nodes on loopback (optionally behind Toxiproxy) or a network namespace per node ({@link Netns}),
 * where partitions are iptables rules. Node a dials every higher-numbered node b through the link a-b.
 */
final class LocalLinks {
    /** Ports inside each node's namespace (each has its own address). */
    private static final int NETNS_PEER_PORT = 7000;

    private static final int NETNS_CLIENT_PORT = 7001;
    private static final int PORT_ATTEMPTS_MAX = 1000;

    /** With --net netns: the namespaces; otherwise null. */
    Netns netns;
    /** The link proxies by link name ({@link #link}); none with namespaces. */
    final Map<String, LinkProxy> proxies = new TreeMap<>();
    /** With --toxiproxy: the Toxiproxy proxies in front of the link proxies; otherwise null. */
    ToxiproxyLinks toxiproxy;

    private final Map<String, Integer> toxiproxyPort = new TreeMap<>();
    private final Map<Integer, Integer> peerPort = new TreeMap<>();
    private final Map<Integer, Integer> clientPort = new TreeMap<>();
    private final Set<Integer> portsTaken = new HashSet<>();
    private final SplittableRandom random;
    /**
     * Ports are drawn apart from the seed: two runs of one seed at once (a test and a replay, two checkouts) would
     * otherwise pick the same ports, each find them free, and one's nodes fail to bind.
     */
    private final SplittableRandom portRandom =
            new SplittableRandom(System.nanoTime() ^ (ProcessHandle.current().pid() * 0x9E3779B97F4A7C15L));

    LocalLinks(SplittableRandom random) {
        this.random = random;
    }

    static String link(int a, int b) {
        return Math.min(a, b) + "-" + Math.max(a, b);
    }

    /** With --net netns: a namespace per node, or why namespaces cannot be made here. */
    void createNamespaces(int nodes) throws IOException {
        String why = Netns.unavailable();
        if (why != null) {
            throw new IllegalStateException(why);
        }
        netns = new Netns(nodes);
        netns.create();
    }

    /** Each node's ports, and a link proxy per pair of nodes unless partitions are iptables rules (netns). */
    void open(Collection<Integer> ids, EventLoopGroup group, IntFunction<NodeSecurity> security)
            throws IOException, InterruptedException {
        for (int id : ids) {
            peerPort.put(id, netns != null ? NETNS_PEER_PORT : freePort());
            clientPort.put(id, netns != null ? NETNS_CLIENT_PORT : freePort());
        }
        if (netns != null) {
            return;
        }
        for (int a : ids) {
            for (int b : ids) {
                if (a < b) {
                    InetSocketAddress to = new InetSocketAddress("127.0.0.1", peerPort.get(b));
                    proxies.put(link(a, b), new LinkProxy(a, b, 0, to, group, random.nextLong(), security));
                }
            }
        }
    }

    /** With --toxiproxy HOST:PORT: a Toxiproxy proxy in front of every link proxy. */
    void openToxiproxy(String server, String prefix) throws IOException {
        toxiproxy = ToxiproxyLinks.connect(server, prefix);
        for (Map.Entry<String, LinkProxy> e : proxies.entrySet()) {
            int listen = freePort();
            toxiproxy.create(e.getKey(), listen, "127.0.0.1:" + e.getValue().port());
            toxiproxyPort.put(e.getKey(), listen);
        }
    }

    String host(int id) {
        return netns != null ? netns.ip(id) : "127.0.0.1";
    }

    /** Node {@code id}'s own peer port (not a link proxy's). */
    int peerPort(int id) {
        return peerPort.get(id);
    }

    int clientPort(int id) {
        return clientPort.get(id);
    }

    InetSocketAddress clientAddress(int id) {
        return new InetSocketAddress(host(id), clientPort.get(id));
    }

    Map<Integer, InetSocketAddress> clientEndpoints() {
        Map<Integer, InetSocketAddress> endpoints = new TreeMap<>();
        clientPort.forEach((id, port) -> endpoints.put(id, new InetSocketAddress(host(id), port)));
        return endpoints;
    }

    /** Node {@code id}'s --peers: every member's address as {@code id} reaches it. */
    String peersFor(int id, Collection<Integer> members) {
        StringBuilder peers = new StringBuilder();
        for (int other : members) {
            int port = netns != null || other <= id ? peerPort.get(other) : proxyPort(id, other);
            peers.append(peers.length() == 0 ? "" : ",")
                    .append(other)
                    .append('=')
                    .append(host(other))
                    .append(':')
                    .append(port);
        }
        return peers.toString();
    }

    /** Frames the link proxies forwarded, both ways, in all. */
    long framesForwarded() {
        long forwarded = 0;
        for (LinkProxy p : proxies.values()) {
            forwarded += p.up.forwarded.get() + p.down.forwarded.get();
        }
        return forwarded;
    }

    /** Closes the link proxies (on the cluster's event loops, so before those stop) and the Toxiproxy proxies. */
    void closeProxies() {
        proxies.values().forEach(LinkProxy::close);
        if (toxiproxy != null) {
            toxiproxy.close();
        }
    }

    void closeNamespaces() {
        if (netns != null) {
            netns.close();
        }
    }

    private int proxyPort(int low, int high) {
        Integer toxi = toxiproxyPort.get(link(low, high));
        return toxi != null ? toxi : proxies.get(link(low, high)).port();
    }

    /**
     * A free port for a node, below the ephemeral range (32768 and up on Linux), so the proxies and
     * clients, which bind ephemeral ports, can never take a node's port between its pick and its start.
     */
    private int freePort() throws IOException {
        for (int attempt = 0; attempt < PORT_ATTEMPTS_MAX; attempt++) {
            int port = 20_000 + portRandom.nextInt(12_000);
            if (portsTaken.contains(port)) {
                continue;
            }
            try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                portsTaken.add(port);
                return s.getLocalPort();
            } catch (IOException inUse) {
                // taken by someone else: another
            }
        }
        throw new IOException("no free port in 20000-32000");
    }
}
