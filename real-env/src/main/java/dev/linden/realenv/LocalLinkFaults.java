package dev.linden.realenv;

import dev.linden.nemesis.Fault;
import dev.linden.nemesis.FaultOps;
import dev.linden.nemesis.Grudges;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * The network faults of {@link LocalTestCluster}: partitions as link-proxy cuts or iptables rules in the nodes'
 * namespaces, and link behaviors (loss, duplication, reordering, clogging) at the link proxies or as Toxiproxy
 * toxics, each answered with the frames or packets it affected.
 */
final class LocalLinkFaults {
    private final LocalTestCluster c;
    private final Set<String> cutLinks = new HashSet<>();
    private long droppedAtCut;
    /** Active link behaviors, with the proxies' counter when each started. */
    private final Map<Fault.Link, Long> linkStartCount = new TreeMap<>();

    private final Set<Integer> clogged = new HashSet<>();

    LocalLinkFaults(LocalTestCluster c) {
        this.c = c;
    }

    /** Heals every cut and link behavior (a partition the way stop-partition heals it); says what it undid. */
    void heal(List<String> undone) {
        try {
            if (!cutLinks.isEmpty()) {
                // Healed the way stop-partition heals, so its evidence (frames or packets dropped) is kept.
                undone.add("partition: " + stopPartition());
            }
        } catch (IOException e) {
            undone.add("partition: iptables flush failed: " + e.getMessage());
        }
        restoreCuts();
        for (LinkProxy p : c.links.proxies.values()) {
            p.up.reset();
            p.down.reset();
        }
        if (c.links.toxiproxy != null) {
            try {
                int removed = c.links.toxiproxy.unclog();
                if (removed > 0) {
                    undone.add(removed + " Toxiproxy toxics");
                }
            } catch (IOException e) {
                undone.add("Toxiproxy toxics not removed: " + e.getMessage());
            }
        }
        if (!linkStartCount.isEmpty()) {
            List<String> names =
                    linkStartCount.keySet().stream().map(Fault.Link::text).toList();
            undone.add("links " + names);
            linkStartCount.clear();
        }
        clogged.clear();
    }

    Object partition(String shape) throws IOException {
        return cut(shape, Grudges.of(shape, c.nodes(), c.leader(true), c.random));
    }

    /** Cuts {@code node} off from every other node, not from clients (a stale leader's partition). */
    Object isolate(int node) throws IOException {
        return cut("leader", Grudges.of("leader", c.nodes(), node, c.random));
    }

    private Object cut(String shape, Set<Grudges.Link> blocked) throws IOException {
        if (blocked.isEmpty()) {
            return FaultOps.noEffect("a " + shape + " partition of " + c.n + " node(s) cuts no link");
        }
        if (c.links.netns != null) {
            c.links.netns.heal();
            cutLinks.clear();
            for (Grudges.Link l : blocked) {
                c.links.netns.drop(l.from(), l.to());
                cutLinks.add(l.from() + ">" + l.to());
            }
            return FaultOps.effect(
                    "partitioned with iptables DROP rules in the nodes' namespaces",
                    "shape",
                    shape,
                    "grudge",
                    grudge(blocked));
        }
        restoreCuts();
        droppedAtCut = droppedFrames();
        for (Grudges.Link l : blocked) {
            c.links.proxies.get(LocalLinks.link(l.from(), l.to())).from(l.from()).cut = true;
            cutLinks.add(l.from() + ">" + l.to());
        }
        return FaultOps.effect("partitioned at the link proxies", "shape", shape, "grudge", grudge(blocked));
    }

    private Map<String, Object> grudge(Set<Grudges.Link> blocked) {
        Map<String, Object> grudge = new LinkedHashMap<>();
        Grudges.grudge(blocked, c.nodes()).forEach((to, from) -> grudge.put(String.valueOf(to), from));
        return grudge;
    }

    private long droppedFrames() {
        long d = 0;
        for (LinkProxy p : c.links.proxies.values()) {
            d += p.up.dropped.get() + p.down.dropped.get();
        }
        return d;
    }

    private void restoreCuts() {
        for (LinkProxy p : c.links.proxies.values()) {
            p.up.cut = false;
            p.down.cut = false;
        }
        cutLinks.clear();
    }

    Object stopPartition() throws IOException {
        if (cutLinks.isEmpty()) {
            return FaultOps.noEffect("no partition was active");
        }
        if (c.links.netns != null) {
            long packets = c.links.netns.droppedPackets();
            c.links.netns.heal();
            cutLinks.clear();
            return packets == 0
                    ? FaultOps.noEffect("healed, but no packet crossed the cut while it held")
                    : FaultOps.effect("healed", "packets-dropped", packets);
        }
        long dropped = droppedFrames() - droppedAtCut;
        restoreCuts();
        return dropped == 0
                ? FaultOps.noEffect("healed, but no frame crossed the cut while it held")
                : FaultOps.effect("healed", "frames-dropped", dropped);
    }

    private long linkCounter(Fault.Link link) {
        long count = 0;
        for (LinkProxy p : c.links.proxies.values()) {
            for (LinkProxy.Direction d : List.of(p.up, p.down)) {
                count += switch (link) {
                    case LOSS -> d.lost.get();
                    case CORRUPT -> d.corrupted.get();
                    case DUPLICATE -> d.duplicated.get();
                    default -> d.delayed.get();
                };
            }
        }
        return count;
    }

    /** Why {@code link} cannot start now, or null if it can (then its counter is taken). */
    private Object refused(Fault.Link link) {
        if (c.links.netns != null) {
            return FaultOps.noEffect("link faults need netem (not available here) under --net c.links.netns; "
                    + "the default --net proxy has them");
        }
        if (linkStartCount.containsKey(link)) {
            return FaultOps.noEffect("link behavior " + link.text() + " is already active");
        }
        linkStartCount.put(link, linkCounter(link));
        return null;
    }

    Object startLoss(double rate) {
        Object refused = refused(Fault.Link.LOSS);
        if (refused != null) {
            return refused;
        }
        forEachDirection(d -> d.lossRate = rate);
        return FaultOps.effect("link proxies loss", "nodes", List.of());
    }

    Object startCorrupt(double rate) {
        Object refused = refused(Fault.Link.CORRUPT);
        if (refused != null) {
            return refused;
        }
        forEachDirection(d -> d.corruptRate = rate);
        return FaultOps.effect("link proxies damage frames", "rate", rate);
    }

    Object startDuplicate(double rate) {
        Object refused = refused(Fault.Link.DUPLICATE);
        if (refused != null) {
            return refused;
        }
        forEachDirection(d -> d.duplicateRate = rate);
        return FaultOps.effect("link proxies duplicate", "nodes", List.of());
    }

    Object startReorder(long jitterMicros) {
        Object refused = refused(Fault.Link.REORDER);
        if (refused != null) {
            return refused;
        }
        forEachDirection(d -> d.jitterMicros = jitterMicros);
        return FaultOps.effect("link proxies reorder", "nodes", List.of());
    }

    /** Clogs every link of the nodes {@code targets} resolves to (resolved only if a clog can start). */
    Object startClog(Supplier<List<Integer>> targets) {
        Object refused = refused(Fault.Link.CLOG);
        if (refused != null) {
            return refused;
        }
        List<Integer> hit = targets.get();
        clogged.addAll(hit);
        if (c.links.toxiproxy != null) {
            return clogThroughToxiproxy(hit);
        }
        for (LinkProxy p : c.links.proxies.values()) {
            for (LinkProxy.Direction d : List.of(p.up, p.down)) {
                if (clogged.contains(p.low) || clogged.contains(p.high)) {
                    d.delayMillis = 500 + c.random.nextInt(2_500);
                }
            }
        }
        return FaultOps.effect("link proxies clog", "nodes", hit);
    }

    private interface DirectionChange {
        void apply(LinkProxy.Direction d);
    }

    private void forEachDirection(DirectionChange change) {
        for (LinkProxy p : c.links.proxies.values()) {
            for (LinkProxy.Direction d : List.of(p.up, p.down)) {
                change.apply(d);
            }
        }
    }

    /** A clog by Toxiproxy toxics on every link of the clogged nodes: latency, bandwidth, slicer, maybe a stall. */
    private Object clogThroughToxiproxy(List<Integer> hit) {
        List<String> links = new ArrayList<>();
        for (String link : c.links.proxies.keySet()) {
            String[] ends = link.split("-");
            if (hit.contains(Integer.parseInt(ends[0])) || hit.contains(Integer.parseInt(ends[1]))) {
                links.add(link);
            }
        }
        try {
            return FaultOps.effect(
                    "links clogged by Toxiproxy toxics",
                    "nodes",
                    hit,
                    "toxics",
                    c.links.toxiproxy.clog(links, c.random));
        } catch (IOException e) {
            return FaultOps.noEffect("the Toxiproxy server refused the toxics: " + e.getMessage());
        }
    }

    Object stopLink(Fault.Link link) {
        Long at = linkStartCount.remove(link);
        if (at == null) {
            return FaultOps.noEffect("link behavior " + link.text() + " was not active");
        }
        if (link == Fault.Link.CLOG && c.links.toxiproxy != null) {
            clogged.clear();
            try {
                return FaultOps.effect("Toxiproxy toxics removed", "toxics-removed", c.links.toxiproxy.unclog());
            } catch (IOException e) {
                return FaultOps.noEffect("the Toxiproxy server did not remove the toxics: " + e.getMessage());
            }
        }
        long affected = linkCounter(link) - at;
        forEachDirection(d -> {
            switch (link) {
                case LOSS -> d.lossRate = 0;
                case CORRUPT -> d.corruptRate = 0;
                case DUPLICATE -> d.duplicateRate = 0;
                case REORDER -> d.jitterMicros = 0;
                default -> d.delayMillis = 0;
            }
        });
        if (link == Fault.Link.CLOG) {
            clogged.clear();
        }
        return affected == 0
                ? FaultOps.noEffect("no frame was affected")
                : FaultOps.effect("restored", "frames-affected", affected);
    }
}
