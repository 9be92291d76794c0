package dev.linden.realenv;

import dev.linden.nemesis.FaultOps;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.ToLongFunction;

/** The {@code client-conn-flood} fault ({@link HostileAttacks}). */
final class ClientConnFlood {
    /** Connections to one node's client port, at most (the port admits 1,024 by default). */
    static final int CLIENT_CONNECTIONS_PER_NODE_MAX = 4_000;

    private final HostileAttacks h;

    ClientConnFlood(HostileAttacks h) {
        this.h = h;
    }

    /** Waves of connections one target of a client connection flood gets at most (the first, then refills). */
    static final int CLIENT_FLOOD_WAVES_MAX = 10;

    static final long CLIENT_FLOOD_REFILL_EVERY_MILLIS = 1_000;

    /**
     * Idle connections to the targets' client ports, held until the stop; then a new client tries each target.
     * A target that lost most of them (it was killed and started again) gets a new wave, as a client that
     * means to keep the slots would do, at most {@link #CLIENT_FLOOD_WAVES_MAX} per target.
     */
    HostileAttacks.Result start(List<Integer> targets, int perNodeAsked) {
        long spare = AttackChannels.spareHandles();
        int perNode = (int) Math.max(
                0,
                Math.min(Math.min(perNodeAsked, CLIENT_CONNECTIONS_PER_NODE_MAX), spare / Math.max(1, targets.size())));
        if (perNode == 0) {
            return new HostileAttacks.Result(
                    FaultOps.noEffect("the harness has no file handles to spare", "spare-handles", spare), null);
        }
        Map<Integer, AttackChannels.Tally> tallies = new TreeMap<>();
        Map<Integer, Integer> waves = new ConcurrentHashMap<>();
        for (int id : targets) {
            tallies.put(id, new AttackChannels.Tally());
            h.open(h.c.clientAddress(id), AttackChannels.Credentials.CLIENT, perNode, tallies.get(id));
            waves.put(id, 1);
        }
        HostileAttacks.sleep(500); // the node closes what it does not admit right after accepting it
        Map<String, Object> probes = new TreeMap<>();
        for (int id : targets) {
            probes.put(String.valueOf(id), h.newClientAnswers(id));
        }
        if (sum(tallies, t -> t.opened.get()) == 0) {
            return new HostileAttacks.Result(
                    FaultOps.noEffect(
                            "no connection opened", "targets", targets, "failed", sum(tallies, t -> t.failed.get())),
                    null);
        }
        AtomicBoolean stopped = new AtomicBoolean();
        Runnable[] refill = new Runnable[1];
        refill[0] = () -> {
            if (stopped.get()) {
                return;
            }
            tallies.forEach((id, t) -> {
                if (t.open.size() < perNode / 2 && waves.get(id) < CLIENT_FLOOD_WAVES_MAX && h.c.alive(id)) {
                    waves.merge(id, 1, Integer::sum);
                    for (int i = 0; i < perNode; i++) {
                        h.channels.connect(h.c.clientAddress(id), AttackChannels.Credentials.CLIENT, t, p -> {});
                    }
                }
            });
            h.channels.schedule(refill[0], CLIENT_FLOOD_REFILL_EVERY_MILLIS);
        };
        h.channels.schedule(refill[0], CLIENT_FLOOD_REFILL_EVERY_MILLIS);
        Object evidence = FaultOps.effect(
                "idle connections to client ports",
                "targets",
                targets,
                "connections-per-node",
                perNode,
                "opened",
                sum(tallies, t -> t.opened.get()),
                "failed",
                sum(tallies, t -> t.failed.get()),
                "closed-by-node",
                sum(tallies, t -> t.closedByNode.get()),
                "held",
                sum(tallies, t -> (long) t.open.size()),
                "new-client",
                probes);
        return new HostileAttacks.Result(evidence, () -> stop(stopped, tallies, waves, targets));
    }

    /** Stops refilling, closes every held connection, and says what the nodes did meanwhile. */
    private Object stop(
            AtomicBoolean stopped,
            Map<Integer, AttackChannels.Tally> tallies,
            Map<Integer, Integer> waves,
            List<Integer> targets) {
        stopped.set(true);
        long held = sum(tallies, t -> (long) t.open.size());
        long closed = sum(tallies, AttackChannels.Tally::closeAll);
        Map<String, Object> after = new TreeMap<>();
        HostileAttacks.sleep(200);
        for (int id : targets) {
            after.put(String.valueOf(id), h.newClientAnswers(id));
        }
        return FaultOps.effect(
                "connections closed",
                "held-until-stop",
                held,
                "closed",
                closed,
                "opened",
                sum(tallies, t -> t.opened.get()),
                "closed-by-node-meanwhile",
                sum(tallies, t -> t.closedByNode.get()),
                "waves",
                new TreeMap<>(waves),
                "new-client-after",
                after);
    }

    private static long sum(Map<Integer, AttackChannels.Tally> tallies, ToLongFunction<AttackChannels.Tally> f) {
        return tallies.values().stream().mapToLong(f).sum();
    }
}
