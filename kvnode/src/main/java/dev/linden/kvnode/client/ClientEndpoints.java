package dev.linden.kvnode.client;

import java.net.InetSocketAddress;
import java.util.Map;
import java.util.TreeMap;

/** The cluster's client endpoints as an operator writes them on a command line. */
final class ClientEndpoints {
    private ClientEndpoints() {}

    /** Parses "1=host:port,2=host:port" or "host:port,host:port" (ids 1, 2, ... in order). */
    static Map<Integer, InetSocketAddress> parse(String spec) {
        TreeMap<Integer, InetSocketAddress> out = new TreeMap<>();
        int next = 1;
        for (String part : spec.split(",")) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            int id = next++;
            int eq = p.indexOf('=');
            if (eq > 0) {
                id = Integer.parseInt(p.substring(0, eq));
                p = p.substring(eq + 1);
            }
            int colon = p.lastIndexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("endpoint '" + part + "' needs host:port");
            }
            out.put(id, new InetSocketAddress(p.substring(0, colon), Integer.parseInt(p.substring(colon + 1))));
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no endpoints in '" + spec + "'");
        }
        return out;
    }
}
