package dev.linden.realenv;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * One network namespace per node, as Jepsen partitions real machines ({@code --net netns}, root only):
 * every node's namespace has a veth into a bridge that lives in a namespace of its own, and the host
 * has one veth into that bridge, so the harness reaches every node and nodes reach each other on one
 * private subnet that exists only inside namespaces this run created. Partitions are iptables DROP rules
 * in the receiving node's namespace. {@link #close()} deletes every namespace (and so every veth) the
 * run made; names carry the harness's pid, so runs side by side never touch each other's.
 */
final class Netns implements AutoCloseable {
    private final String prefix;
    private final int subnet;
    private final int nodes;
    private final List<String> created = new ArrayList<>();
    private String hostVeth;

    Netns(int nodes) {
        long pid = ProcessHandle.current().pid();
        this.prefix = "lnd" + pid;
        this.subnet = 20 + (int) (pid % 200);
        this.nodes = nodes;
    }

    String ns(int node) {
        return prefix + "n" + node;
    }

    String ip(int node) {
        return "10.213." + subnet + "." + (10 + node);
    }

    String hostIp() {
        return "10.213." + subnet + ".1";
    }

    /** Whether this machine can do it: root, ip and iptables. */
    static String unavailable() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return "--net netns needs root";
        }
        for (List<String> tool : List.of(List.of("ip", "-V"), List.of("iptables", "--version"))) {
            try {
                if (new ProcessBuilder(tool).redirectErrorStream(true).start().waitFor() != 0) {
                    return "--net netns needs " + tool.get(0);
                }
            } catch (IOException | InterruptedException e) {
                return "--net netns needs " + tool.get(0) + " (apt-get install iproute2 iptables)";
            }
        }
        return null;
    }

    void create() throws IOException {
        String br = prefix + "br";
        run("ip", "netns", "add", br);
        created.add(br);
        run("ip", "-n", br, "link", "add", "br0", "type", "bridge");
        run("ip", "-n", br, "link", "set", "br0", "up");
        hostVeth = "lnd" + (ProcessHandle.current().pid() % 100_000) + "h";
        run("ip", "link", "add", hostVeth, "type", "veth", "peer", "name", "hb0");
        run("ip", "link", "set", "hb0", "netns", br);
        run("ip", "-n", br, "link", "set", "hb0", "master", "br0", "up");
        run("ip", "addr", "add", hostIp() + "/24", "dev", hostVeth);
        run("ip", "link", "set", hostVeth, "up");
        for (int i = 1; i <= nodes; i++) {
            String ns = ns(i);
            run("ip", "netns", "add", ns);
            created.add(ns);
            run("ip", "-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", "n" + i + "b");
            run("ip", "-n", ns, "link", "set", "n" + i + "b", "netns", br);
            run("ip", "-n", br, "link", "set", "n" + i + "b", "master", "br0", "up");
            run("ip", "-n", ns, "addr", "add", ip(i) + "/24", "dev", "eth0");
            run("ip", "-n", ns, "link", "set", "eth0", "up");
            run("ip", "-n", ns, "link", "set", "lo", "up");
        }
    }

    /** The command that runs {@code cmd} inside node {@code node}'s namespace (same pid: ip execs it). */
    List<String> inNamespace(int node, List<String> cmd) {
        List<String> out = new ArrayList<>(List.of("ip", "netns", "exec", ns(node)));
        out.addAll(cmd);
        return out;
    }

    /** Node {@code to} drops every packet from node {@code from}. */
    void drop(int from, int to) throws IOException {
        run("ip", "netns", "exec", ns(to), "iptables", "-A", "INPUT", "-s", ip(from), "-j", "DROP");
    }

    /** Packets the DROP rules of every node dropped so far (evidence). */
    long droppedPackets() throws IOException {
        long total = 0;
        for (int i = 1; i <= nodes; i++) {
            String out = Commands.run("ip", "netns", "exec", ns(i), "iptables", "-L", "INPUT", "-v", "-n", "-x");
            for (String line : out.split("\n")) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 3 && f[2].equals("DROP")) {
                    total += Long.parseLong(f[0]);
                }
            }
        }
        return total;
    }

    void heal() throws IOException {
        for (int i = 1; i <= nodes; i++) {
            run("ip", "netns", "exec", ns(i), "iptables", "-F", "INPUT");
        }
    }

    @Override
    public void close() {
        for (String ns : created) {
            try {
                run("ip", "netns", "del", ns);
            } catch (IOException e) {
                // already gone
            }
        }
        created.clear();
        if (hostVeth != null) {
            try {
                run("ip", "link", "del", hostVeth); // normally gone with the bridge namespace
            } catch (IOException e) {
                // gone
            }
            hostVeth = null;
        }
    }

    private static void run(String... cmd) throws IOException {
        Commands.run(cmd);
    }
}
