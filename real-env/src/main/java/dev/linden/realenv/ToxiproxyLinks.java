package dev.linden.realenv;

import eu.rekawek.toxiproxy.Proxy;
import eu.rekawek.toxiproxy.ToxiproxyClient;
import eu.rekawek.toxiproxy.model.ToxicDirection;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Peer links through a Toxiproxy server ({@code --toxiproxy HOST:PORT}). Each link's Toxiproxy proxy sits
 * in front of the harness's own {@link LinkProxy}: node {@code low} dials Toxiproxy, Toxiproxy dials the
 * link proxy, the link proxy dials node {@code high}. The link proxy keeps doing what works on whole
 * frames (partitions in one direction, loss, duplication, reordering); Toxiproxy does what works on the
 * byte stream: a clogged link gets latency with jitter, a bandwidth cap and a slicer (TCP segments cut
 * small and spaced out, so frames arrive in pieces), and one time in four a timeout toxic that stalls it
 * outright until the clog ends. Proxies are named after the run, and deleted when it ends.
 */
final class ToxiproxyLinks implements AutoCloseable {
    private static final String CLOG = "linden-clog-";

    private final ToxiproxyClient client;
    private final String prefix;
    private final Map<String, Proxy> proxies = new TreeMap<>();
    /** Toxics in force on each link, by name, while a clog holds. */
    private final Map<String, List<String>> active = new TreeMap<>();

    private ToxiproxyLinks(ToxiproxyClient client, String prefix) {
        this.client = client;
        this.prefix = prefix;
    }

    /** Connects to the server at {@code hostPort}; fails with what to do if nothing answers there. */
    static ToxiproxyLinks connect(String hostPort, String prefix) throws IOException {
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("--toxiproxy is HOST:PORT (the server's API, 8474 by default)");
        }
        ToxiproxyClient c =
                new ToxiproxyClient(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
        try {
            c.version();
        } catch (IOException e) {
            throw new IOException(
                    "no Toxiproxy server answers at " + hostPort + " (" + e.getMessage() + "): start one "
                            + "(toxiproxy-server) or run without --toxiproxy",
                    e);
        }
        return new ToxiproxyLinks(c, prefix);
    }

    /** A proxy for {@code link} listening on {@code listenPort} (loopback), forwarding to {@code upstream}. */
    void create(String link, int listenPort, String upstream) throws IOException {
        String name = prefix + link;
        Proxy old = client.getProxyOrNull(name);
        if (old != null) {
            old.delete();
        }
        proxies.put(link, client.createProxy(name, "127.0.0.1:" + listenPort, upstream));
    }

    /** Clogs the given links (both directions); returns the toxics put on each, for the evidence. */
    synchronized Map<String, Object> clog(List<String> links, SplittableRandom random) throws IOException {
        Map<String, Object> evidence = new LinkedHashMap<>();
        for (String link : links) {
            Proxy p = proxies.get(link);
            if (p == null || active.containsKey(link)) {
                continue;
            }
            long latencyMs = 200 + random.nextInt(1_800);
            long rateKbps = 16 + random.nextInt(240);
            long sliceBytes = 16 + random.nextInt(496);
            boolean stall = random.nextInt(4) == 0;
            List<String> names = new ArrayList<>();
            for (ToxicDirection d : ToxicDirection.values()) {
                String dir = d.name().toLowerCase();
                p.toxics().latency(CLOG + "latency-" + dir, d, latencyMs).setJitter(latencyMs / 10);
                p.toxics().bandwidth(CLOG + "bandwidth-" + dir, d, rateKbps);
                p.toxics().slicer(CLOG + "slicer-" + dir, d, sliceBytes, 2_000).setSizeVariation(sliceBytes / 2);
                names.addAll(List.of(CLOG + "latency-" + dir, CLOG + "bandwidth-" + dir, CLOG + "slicer-" + dir));
                if (stall) {
                    p.toxics().timeout(CLOG + "timeout-" + dir, d, 0); // data held until the toxic goes
                    names.add(CLOG + "timeout-" + dir);
                }
            }
            active.put(link, names);
            evidence.put(
                    link,
                    "latency " + latencyMs + " ms, " + rateKbps + " KB/s, slices of " + sliceBytes + " B"
                            + (stall ? ", stalled" : ""));
        }
        return evidence;
    }

    /** Takes every clog toxic off; returns how many were removed. */
    synchronized int unclog() throws IOException {
        int removed = 0;
        for (Map.Entry<String, List<String>> e : active.entrySet()) {
            Proxy p = proxies.get(e.getKey());
            for (String name : e.getValue()) {
                p.toxics().get(name).remove();
                removed++;
            }
        }
        active.clear();
        return removed;
    }

    /** Deletes this run's proxies from the server (best effort: the server may be gone). */
    @Override
    public synchronized void close() {
        for (Proxy p : proxies.values()) {
            try {
                p.delete();
            } catch (IOException e) {
                // the server is gone: nothing of ours is left there either
            }
        }
        proxies.clear();
    }
}
