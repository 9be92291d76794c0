package dev.linden.sim;

import dev.linden.checker.CheckResult;
import dev.linden.checker.Checker;
import dev.linden.checker.KeyResult;
import dev.linden.checker.Verdict;
import dev.linden.checker.history.History;
import dev.linden.checker.history.MalformedHistoryException;
import dev.linden.checker.history.OpType;
import dev.linden.checker.model.Models;
import dev.linden.kvnode.kv.KvCommand;
import dev.linden.kvnode.node.NodeConfig;
import dev.linden.kvnode.raft.Entry;
import dev.linden.kvnode.raft.RaftConfig;
import dev.linden.kvnode.raft.RaftCore;
import dev.linden.nemesis.Fault;
import dev.linden.nemesis.FaultKind;
import dev.linden.nemesis.FaultPlan;
import dev.linden.workloads.HistoryRecorder;
import dev.linden.workloads.Workload;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * One deterministic simulated run of a Linden cluster: the real node code on one event loop, a fault
 * phase driven by the seed, a healed liveness phase, then the checks. Use {@link #run(SimConfig)}.
 */
public final class Simulation {
    private static final long MS = 1_000_000L;
    /** Bound on queued events: a run that needs more is a harness error, not an OOM. */
    private static final long MAX_QUEUED_EVENTS = 5_000_000;
    private static final long SUPERVISOR_PERIOD_NANOS = 500 * MS;
    /** Bound on convergence once the clients stopped: every up replica applies the same log. */
    static final long CONVERGENCE_MILLIS = 20_000;

    private final SimConfig config;
    private final SimLoop loop = new SimLoop(MAX_QUEUED_EVENTS);
    private final SplittableRandom root;
    private final SimNetwork network;
    private final TreeMap<Integer, SimNode> nodes = new TreeMap<>();
    private final SafetyMonitor monitor = new SafetyMonitor(this);
    private final List<SimClient> clients = new ArrayList<>();
    private final HistoryRecorder recorder = new HistoryRecorder(4_000_000);
    private final List<Fault> activeWindows = new ArrayList<>();
    private final Set<Integer> corrupted = new HashSet<>();
    /** Nodes whose disk was replaced by an empty one: they must refuse to start (unless forced back). */
    private final Set<Integer> wiped = new HashSet<>();
    private final List<String> notes = new ArrayList<>();
    private String violation;
    private int faultsInjected;

    private Simulation(SimConfig config) {
        this.config = config;
        this.root = new SplittableRandom(config.seed());
        this.network = new SimNetwork(loop, root.split());
    }

    /** A simulation that is wired but not run (tests of the simulator's own parts). */
    static Simulation forTest(SimConfig config) {
        return new Simulation(config);
    }

    /** Runs one seed to completion. Never throws for a failing run: the result says what failed. */
    public static SimResult run(SimConfig config) {
        return run(config, null);
    }

    /**
     * Like {@link #run(SimConfig)}; when the run fails and {@code saveFailedHistoryTo} is a directory, the
     * recorded history is written there as {@code seed-N.edn} (Jepsen EDN, for {@code ./linden check}).
     */
    public static SimResult run(SimConfig config, java.nio.file.Path saveFailedHistoryTo) {
        long wallStart = System.nanoTime();
        Simulation s = new Simulation(config);
        SimResult r;
        try {
            r = s.execute(wallStart);
            if (!r.passed() && saveFailedHistoryTo != null) {
                java.nio.file.Path file = saveFailedHistoryTo.resolve("seed-" + config.seed() + ".edn");
                java.nio.file.Files.createDirectories(saveFailedHistoryTo);
                dev.linden.checker.history.HistoryWriter.writeEdn(s.recorder.history("seed-" + config.seed()), file);
                r = new SimResult(r.seed(), r.ops(), r.faultsInjected(), r.verdict(), r.exitCode(), r.traceHash(),
                        r.simNanos(), r.wallNanos(), r.events(), r.checkNanos(),
                        r.detail() + "\nhistory saved to " + file + " (model " + s.config.workload() + ")");
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (RuntimeException | Error e) {
            java.io.StringWriter w = new java.io.StringWriter();
            e.printStackTrace(new java.io.PrintWriter(w));
            r = new SimResult(config.seed(), s.recorder.count(OpType.INVOKE), s.faultsInjected, "harness-error", 3,
                    s.loop.traceHash(), s.loop.nowNanos(), System.nanoTime() - wallStart, s.loop.eventsRun(), 0,
                    w.toString());
        }
        return r;
    }

    // ------------------------------------------------------------------ wiring used by nodes and clients

    SimNode node(int id) {
        return nodes.get(id);
    }

    int nodeCount() {
        return nodes.size();
    }

    SimNetwork network() {
        return network;
    }

    SafetyMonitor monitor() {
        return monitor;
    }

    void violation(String what) {
        if (violation == null) {
            violation = what + " (at " + loop.nowNanos() / MS + " ms)";
        }
    }

    void note(String what) {
        if (notes.size() < 1000) {
            notes.add(loop.nowNanos() / MS + " ms: " + what);
        }
    }

    String clusterId() {
        return "sim-" + config.seed();
    }

    boolean forceEmptyRejoin() {
        return config.forceEmptyRejoin();
    }

    /** A node that is down for good: it refused its corrupted WAL, or it lost its disk and refused to rejoin. */
    private boolean permanentlyDown(SimNode n) {
        return n.refusedReason != null && (corrupted.contains(n.id) || wiped.contains(n.id));
    }

    void nodeRefusedToStart(SimNode n, String reason) {
        if (wiped.contains(n.id)) {
            note("node " + n.id + " refused to start on its replaced, empty disk: " + reason);
        } else if (corrupted.contains(n.id)) {
            note("node " + n.id + " refused to start after its injected bit flip: " + reason);
        } else if (!reason.contains("read error")) {
            violation("node " + n.id + " refused to start without any injected corruption: " + reason);
        }
    }

    // ------------------------------------------------------------------ the run

    private SimResult execute(long wallStart) {
        List<Integer> ids = new ArrayList<>();
        for (int i = 1; i <= config.nodes(); i++) {
            ids.add(i);
        }
        // Small, seed-chosen snapshot intervals, chunks and entry caches: every run compacts its logs many
        // times, nodes that fall behind (crashed, partitioned) catch up by snapshot transfer in several
        // chunks, and leaders read evicted entries back from their WALs for slow followers.
        SplittableRandom snapRandom = root.split();
        RaftConfig raft = new RaftConfig(15, 3, 256, 1 << 20, 32, 10_000, 10_000, 1024, true, true,
                256 + snapRandom.nextInt(4096), snapRandom.nextInt(400), 4 + snapRandom.nextInt(100));
        NodeConfig nodeConfig = NodeConfig.defaults().withRaft(raft).withTickMillis(10)
                .withSnapshotEveryEntries(50 + snapRandom.nextInt(500));
        boolean preallocateWal = snapRandom.nextBoolean();
        for (int id : ids) {
            nodes.put(id, new SimNode(id, this, loop, root.split(), ids, nodeConfig, config.unsafeLocalReads(),
                    config.fsyncLies(), preallocateWal));
        }
        Workload workload = Workload.named(config.workload(), config.keys());
        for (int i = 0; i < config.clients(); i++) {
            clients.add(new SimClient(this, loop, root.split(), workload, recorder, i, config.clients()));
        }
        FaultPlan plan = FaultPlan.generate(root.split(), config.durationMillis(), config.faults(), ids,
                config.faultIntensity());
        network.lossRate = plan.lossRate();
        network.duplicateRate = plan.duplicateRate();
        network.jitterMicros = plan.reorderJitterMicros();
        for (Fault f : plan.windows()) {
            loop.at(f.startMillis() * MS, SimLoop.NEMESIS, 0, () -> begin(f));
            loop.at(f.endMillis() * MS, SimLoop.NEMESIS, 0, () -> end(f));
        }
        for (SimNode n : nodes.values()) {
            n.start();
        }
        for (SimClient c : clients) {
            c.start();
        }
        supervise();

        // Fault phase.
        long faultEnd = config.durationMillis() * MS;
        loop.runUntil(faultEnd, () -> violation != null);

        // Liveness phase: heal everything; the cluster must serve a write again within the bound.
        long healedAt = loop.nowNanos();
        boolean live = violation != null;
        if (violation == null) {
            heal();
            loop.runUntil(healedAt + config.livenessMillis() * MS,
                    () -> violation != null || clients.stream().anyMatch(c -> c.lastOkWriteInvokedNanos >= healedAt));
            live = clients.stream().anyMatch(c -> c.lastOkWriteInvokedNanos >= healedAt);
        }
        for (SimClient c : clients) {
            c.stopped = true;
        }
        long drainUntil = loop.nowNanos() + 3 * SimClient.OP_TIMEOUT_NANOS;
        loop.runUntil(drainUntil, () -> violation != null || clients.stream().allMatch(SimClient::idle));
        // Convergence: every replica that is up applies the same log (same index), within a bound.
        boolean converged = true;
        if (violation == null && live) {
            loop.runUntil(loop.nowNanos() + CONVERGENCE_MILLIS * MS, () -> violation != null || converged());
            converged = violation != null || converged();
        }
        long ops = recorder.count(OpType.INVOKE);
        if (violation == null) {
            checkReplicasAgree();
        }

        String verdict;
        int exit;
        long checkNanos = 0;
        String detail = "";
        if (violation != null) {
            verdict = "safety-violation";
            exit = 1;
            detail = violation;
        } else if (!live) {
            verdict = "liveness-failure";
            exit = 2;
            detail = "no write succeeded within " + config.livenessMillis() + " ms after every fault was healed; "
                    + nodeStates();
        } else if (!converged) {
            verdict = "liveness-failure";
            exit = 2;
            detail = "replicas did not converge within " + CONVERGENCE_MILLIS + " ms after the clients stopped "
                    + "(every replica that is up must apply the same log); " + nodeStates();
        } else {
            String lost = lostAcknowledgedWrite();
            if (lost != null) {
                verdict = "safety-violation";
                exit = 1;
                detail = lost;
            } else {
                long checkStart = System.nanoTime();
                CheckResult check = check(workload);
                checkNanos = System.nanoTime() - checkStart;
                verdict = check.verdict().text();
                exit = check.verdict() == Verdict.LINEARIZABLE ? 0 : check.verdict() == Verdict.NOT_LINEARIZABLE ? 1 : 3;
                detail = exit == 0 ? "" : explain(check);
            }
        }
        if (exit != 0 && !notes.isEmpty()) {
            int from = Math.max(0, notes.size() - 40);
            detail = detail + "\nfault timeline (last " + (notes.size() - from) + " events):\n  "
                    + String.join("\n  ", notes.subList(from, notes.size()));
        }
        loop.mix(exit);
        loop.mix(ops);
        loop.mix(monitor.maxAppliedIndex);
        loop.mix(monitor.snapshotLoads);
        return new SimResult(config.seed(), ops, faultsInjected, verdict, exit, loop.traceHash(), loop.nowNanos(),
                System.nanoTime() - wallStart, loop.eventsRun(), checkNanos, detail);
    }

    /**
     * Whether every node that is up has applied the same index, and that index is at least every up node's
     * commit index (nothing committed is left unapplied anywhere).
     */
    private boolean converged() {
        long applied = -1;
        long commit = 0;
        for (SimNode n : nodes.values()) {
            if (permanentlyDown(n)) {
                continue;
            }
            if (!n.up || n.kv == null || n.raft == null || n.raft.core() == null) {
                return false;
            }
            long a = n.raft.core().appliedIndex(); // the log's index (the KV's own counts commands only)
            if (applied >= 0 && a != applied) {
                return false;
            }
            applied = a;
            commit = Math.max(commit, n.raft.core().commitIndex());
        }
        return applied >= commit;
    }

    /** Replicas that applied the same prefix of the log must hold the same state, snapshots or not. */
    private void checkReplicasAgree() {
        java.util.TreeMap<Long, long[]> digestAt = new java.util.TreeMap<>(); // applied index -> {node, digest}
        for (SimNode n : nodes.values()) {
            if (!n.up || n.kv == null) {
                continue;
            }
            long index = n.kv.lastAppliedIndex();
            long digest = n.kv.digest();
            loop.mix(digest);
            long[] other = digestAt.putIfAbsent(index, new long[] {n.id, digest});
            if (other != null && other[1] != digest) {
                violation("replicas diverged: nodes " + other[0] + " and " + n.id + " applied through index " + index
                        + " but hold different data");
            }
        }
    }

    private String nodeStates() {
        StringBuilder b = new StringBuilder("nodes:");
        for (SimNode n : nodes.values()) {
            b.append(' ').append(n.id).append('=').append(n.up ? (n.raft.role() + "/t" + n.raft.term()) : "down")
                    .append("/applied ").append(monitor.lastAppliedOf(n.id));
            if (n.up && n.raft.core() != null) {
                RaftCore c = n.raft.core();
                b.append(" [log ").append(c.firstIndex()).append("..").append(c.lastIndex()).append(" cached from ")
                        .append(c.cacheFirstIndex()).append(" commit ").append(c.commitIndex()).append(" durable ")
                        .append(c.durableIndex()).append(c.role() == dev.linden.kvnode.raft.Role.LEADER
                                ? " " + c.describeProgress() : "").append(']');
            }
        }
        return b.toString();
    }

    /** Every write a client saw acknowledged must be in the committed log that nodes applied. */
    private String lostAcknowledgedWrite() {
        Set<Long> applied = new HashSet<>();
        for (Entry e : monitor.appliedLog().values()) {
            if (e.kind() == Entry.Kind.COMMAND) {
                KvCommand c = KvCommand.decode(e.command());
                applied.add(c.clientId() * 1_000_000_000L + c.seq());
            }
        }
        for (SimClient c : clients) {
            for (long[] w : c.ackedWrites) {
                if (!applied.contains(w[0] * 1_000_000_000L + w[1])) {
                    return "acknowledged write lost: session " + w[0] + " seq " + w[1] + " is in no applied log entry";
                }
            }
        }
        return null;
    }

    private CheckResult check(Workload workload) {
        History h = recorder.history("seed-" + config.seed());
        try {
            return Checker.check(h, Models.byName(workload.model()), Checker.Options.defaults()
                    .withTimeLimit(Duration.ofMillis(config.checkTimeLimitMillis()))
                    .withMaxMemoryBytes(512L << 20).withParallelism(1));
        } catch (MalformedHistoryException e) {
            throw new IllegalStateException("the simulator recorded a malformed history: " + e.getMessage(), e);
        }
    }

    private static String explain(CheckResult r) {
        StringBuilder b = new StringBuilder();
        for (KeyResult k : r.keys()) {
            if (k.verdict() == Verdict.NOT_LINEARIZABLE && k.counterexample() != null) {
                b.append(k.counterexample().explanation()).append('\n');
            } else if (k.verdict() == Verdict.UNKNOWN) {
                b.append("key ").append(k.key()).append(": unknown (").append(k.unknownReason()).append(")\n");
            }
        }
        return b.toString().strip();
    }

    // ------------------------------------------------------------------ faults

    private void begin(Fault f) {
        if (violation != null) {
            return;
        }
        faultsInjected++;
        activeWindows.add(f);
        note("begin " + f);
        switch (f.kind()) {
            case PARTITION -> network.blocked.addAll(f.blockedLinks());
            case CLOG -> network.clogged.addAll(f.nodes());
            case CRASH -> f.nodes().forEach(id -> nodes.get(id).crash());
            case PAUSE -> f.nodes().forEach(id -> nodes.get(id).pause(f.endMillis() * MS));
            case CLOCK -> f.nodes().forEach(id -> nodes.get(id).adjustClock(f.clockJumpMillis(), f.driftPpm()));
            case DISK_FULL -> f.nodes().forEach(id -> {
                nodes.get(id).disk.full = true;
                nodes.get(id).disk.readErrors = root.nextInt(3) == 0;
            });
            case DISK_LOSS -> f.nodes().forEach(id -> {
                nodes.get(id).crash();
                int files = nodes.get(id).disk.wipe();
                wiped.add(id);
                note("replaced node " + id + "'s disk (" + files + " files) with an empty one");
            });
            case BITFLIP -> f.nodes().forEach(id -> {
                String where = nodes.get(id).disk.flipBit();
                if (where != null) {
                    corrupted.add(id);
                    note("flipped a bit on node " + id + " in " + where);
                }
            });
            default -> throw new IllegalStateException("not a window fault " + f.kind());
        }
    }

    private void end(Fault f) {
        if (!activeWindows.remove(f)) {
            return;
        }
        note("end " + f);
        switch (f.kind()) {
            case PARTITION, CLOG -> recomputeNetwork();
            case CLOCK -> f.nodes().forEach(id -> nodes.get(id).adjustClock(0, root.nextLong(-200, 201)));
            case DISK_FULL -> f.nodes().forEach(id -> {
                nodes.get(id).disk.full = false;
                nodes.get(id).disk.readErrors = false;
            });
            case BITFLIP -> f.nodes().forEach(id -> {
                // Restart the node so recovery meets the flipped bit.
                if (corrupted.contains(id)) {
                    nodes.get(id).crash();
                    nodes.get(id).start();
                }
            });
            case DISK_LOSS -> f.nodes().forEach(id -> {
                if (!nodes.get(id).up) {
                    nodes.get(id).start();
                }
            });
            default -> {
                // crash and pause windows end through the supervisor and the pause deadline
            }
        }
    }

    private void recomputeNetwork() {
        network.blocked.clear();
        network.clogged.clear();
        for (Fault w : activeWindows) {
            if (w.kind() == FaultKind.PARTITION) {
                network.blocked.addAll(w.blockedLinks());
            } else if (w.kind() == FaultKind.CLOG) {
                network.clogged.addAll(w.nodes());
            }
        }
    }

    private boolean inCrashWindow(int id) {
        for (Fault w : activeWindows) {
            if ((w.kind() == FaultKind.CRASH || w.kind() == FaultKind.DISK_LOSS) && w.nodes().contains(id)) {
                return true;
            }
        }
        return false;
    }

    /** Restarts nodes that are down and may come back (like systemd would), every half second. */
    private void supervise() {
        loop.at(SUPERVISOR_PERIOD_NANOS, SimLoop.NEMESIS, 0, () -> {
            for (SimNode n : nodes.values()) {
                if (!n.up && !permanentlyDown(n) && !inCrashWindow(n.id) && !n.disk.full) {
                    n.start();
                }
            }
            supervise();
        });
    }

    /** Node died on its own (storage failure): the process exits; the supervisor restarts it later. */
    void nodeDied(int id, String reason) {
        note("node " + id + " exits: " + reason);
        nodes.get(id).crash();
    }

    private void heal() {
        activeWindows.clear();
        network.heal();
        for (SimNode n : nodes.values()) {
            n.pausedUntilNanos = 0;
            n.disk.full = false;
            n.disk.readErrors = false;
            if (!n.up && !permanentlyDown(n)) {
                n.start();
            }
        }
        note("healed");
    }
}
