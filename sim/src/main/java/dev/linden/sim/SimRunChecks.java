package dev.linden.sim;

import dev.linden.kvnode.kv.KvCommand;
import dev.linden.kvnode.raft.Entry;
import dev.linden.kvnode.raft.RaftConfig;
import dev.linden.workloads.check.CheckOutcome;
import dev.linden.workloads.check.Validity;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** The end-of-run verdict and facts of a {@link Simulation}: what its monitors and its replicas say. */
final class SimRunChecks {
    private static final long MS = 1_000_000L;

    private SimRunChecks() {}

    /** The cluster check: the monitors' verdicts, replicas agreeing, acknowledged writes applied. */
    static List<CheckOutcome> invariants(Simulation sim) {
        List<String> violations = new ArrayList<>();
        if (sim.violation != null) {
            violations.add(sim.violation);
        }
        String diverged = replicasDiverged(sim);
        if (diverged != null) {
            violations.add(diverged);
        }
        String badSnapshot = sim.snapshots.check(sim.monitor.appliedLog(), sim.options.noDedup());
        if (badSnapshot != null) {
            violations.add(badSnapshot);
        }
        long acked = 0;
        for (SimClient c : sim.clients) {
            acked += c.ackedWrites.size();
        }
        List<long[]> ackedWrites = new ArrayList<>();
        for (SimClient c : sim.clients) {
            ackedWrites.addAll(c.ackedWrites);
        }
        violations.addAll(lostAcknowledgedWrites(sim.monitor.appliedLog(), ackedWrites));
        Map<String, Object> d = new LinkedHashMap<>();
        d.put(
                "checked",
                List.of(
                        "election safety",
                        "leader completeness",
                        "state machine safety",
                        "a leader commits only entries of its own term",
                        "commit index monotonic",
                        "applied in order",
                        "replicas agree",
                        "acknowledged writes applied",
                        "acks and commits durable",
                        "restarted sim.nodes keep what they held",
                        "committed prefix unchanged",
                        "sim.snapshots equal the committed log's state",
                        "sim.liveness while a majority is healthy",
                        "one membership change in flight, by one voter"));
        d.put("sim.snapshots-checked", sim.snapshots.count());
        d.put("acknowledged-writes", acked);
        d.put("applied-entries", sim.monitor.appliedLog().size());
        d.put("event-monitor", sim.events.facts());
        d.put(
                "violations-at",
                sim.events.violations().stream().map(v -> v.asData(0)).toList());
        d.put("violations", violations);
        if (!violations.isEmpty()) {
            d.put("why", violations.get(0));
            int from = Math.max(0, sim.timeline.size() - 40);
            d.put("sim.timeline", new ArrayList<>(sim.timeline.subList(from, sim.timeline.size())));
        }
        return List.of(new CheckOutcome("cluster", Validity.of(violations.isEmpty()), d));
    }

    /** What the run did, for results.edn: time, events, the trace hash, what each sim.monitor checked. */
    static Map<String, Object> facts(Simulation sim) {
        sim.loop.mix(sim.monitor.maxAppliedIndex);
        sim.loop.mix(sim.monitor.snapshotLoads);
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("sim-millis", sim.loop.nowNanos() / MS);
        f.put("events", sim.loop.eventsRun());
        f.put("trace-hash", String.format("%016x", sim.loop.traceHash()));
        f.put("leader-changes", sim.monitor.leaderChanges);
        f.put("snapshot-loads", sim.monitor.snapshotLoads);
        f.put("max-applied-index", sim.monitor.maxAppliedIndex);
        f.put("restarts-checked-for-sim.durability", sim.durability.restartsChecked);
        f.put("commits-checked-for-sim.durability", sim.durability.commitsChecked);
        long dirSyncs = 0;
        long leaseReads = 0;
        for (SimNode n : sim.nodes.values()) {
            dirSyncs += n.disk.dirSyncs;
            leaseReads += n.leaseReadsServed();
        }
        f.put(
                "lease-reads",
                sim.options.raftBugs().contains(RaftConfig.Bug.LEASE_WITHOUT_DRIFT_BOUND) || leaseReads > 0
                        ? "on"
                        : "off or unused");
        f.put("lease-reads-served", leaseReads);
        long expired = 0;
        for (SimNode n : sim.nodes.values()) {
            expired = Math.max(expired, n.kv == null ? 0 : n.kv.sessionsExpired());
        }
        f.put("sessions-expired", expired); // by the expiry entries a replica applied (a restart counts anew)
        f.put("directory-syncs", dirSyncs);
        f.put("membership-checks", sim.monitor.membershipChecks);
        f.put("sim.nodes-added", sim.nodes.size() - sim.nodeCount);
        f.put("sim.nodes-sim.removed", sim.removed.size());
        f.put("stable-majority-periods", sim.liveness.stablePeriods);
        f.put("longest-stable-majority-millis", sim.liveness.longestStableMillis);
        f.put("elections-while-stable", sim.liveness.electionsWhileStable);
        f.put("messages-sent", sim.network.sent);
        f.put("messages-dropped", sim.network.dropped);
        int maxOpen = 0;
        long pipelined = 0;
        for (SimClientProcess p : sim.processes) {
            maxOpen = Math.max(maxOpen, p.maxOpen);
            pipelined += p.sentWithLowerOpen;
        }
        f.put("workers-per-client", sim.options.workersPerClient());
        f.put("max-open-requests-per-client", maxOpen);
        f.put("requests-sent-with-a-lower-seq-open", pipelined);
        if (!sim.options.bugs().isEmpty()) {
            f.put("bug", sim.options.bugName());
        }
        return f;
    }

    /** Replicas that applied the same prefix of the log must hold the same state, sim.snapshots or not. */
    private static String replicasDiverged(Simulation sim) {
        TreeMap<Long, long[]> digestAt = new TreeMap<>(); // applied index -> {node, digest}
        for (SimNode n : sim.nodes.values()) {
            if (!n.up || n.kv == null) {
                continue;
            }
            long index = n.kv.lastAppliedIndex();
            long digest = n.kv.digest();
            sim.loop.mix(digest);
            long[] other = digestAt.putIfAbsent(index, new long[] {n.id, digest});
            if (other != null && other[1] != digest) {
                return "replicas diverged: sim.nodes " + other[0] + " and " + n.id + " applied through index " + index
                        + " but hold different data";
            }
        }
        return null;
    }

    /**
     * Every write a client saw acknowledged ({session, seq}) must be in the committed log that nodes applied.
     * An applied command that does not decode is a violation of its own (a replica applied what no client
     * sent), reported, not thrown: the run's verdict says so instead of the harness failing.
     */
    static List<String> lostAcknowledgedWrites(Map<Long, Entry> appliedLog, List<long[]> ackedWrites) {
        Set<Long> applied = new HashSet<>();
        List<String> out = new ArrayList<>();
        for (Entry e : new TreeMap<>(appliedLog).values()) {
            if (e.kind() != Entry.Kind.COMMAND) {
                continue;
            }
            try {
                KvCommand c = KvCommand.decode(e.command());
                applied.add(c.clientId() * 1_000_000_000L + c.seq());
            } catch (RuntimeException bad) {
                if (out.size() < 10) {
                    out.add("applied entry does not decode: index " + e.index() + " (term " + e.term() + ", "
                            + (e.command() == null ? 0 : e.command().length)
                            + " bytes) holds no command a client sent: "
                            + bad.getMessage());
                }
            }
        }
        long count = 0;
        int shown = 0;
        for (long[] w : ackedWrites) {
            if (!applied.contains(w[0] * 1_000_000_000L + w[1])) {
                count++;
                if (shown < 10) {
                    shown++;
                    out.add("acknowledged write lost: session " + w[0] + " seq " + w[1]
                            + " is in no applied log entry");
                }
            }
        }
        if (count > shown) {
            out.add("... " + (count - shown) + " more acknowledged writes lost");
        }
        return out;
    }
}
