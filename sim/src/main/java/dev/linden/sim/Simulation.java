package dev.linden.sim;

import dev.linden.harness.Cluster;
import dev.linden.harness.Scheduler;
import dev.linden.harness.TestSpec;
import dev.linden.kvadapter.KvApi;
import dev.linden.kvnode.events.EventMonitor;
import dev.linden.kvnode.events.EventSource;
import dev.linden.kvnode.node.CoreRecorder;
import dev.linden.kvnode.node.CoreRecording;
import dev.linden.kvnode.node.NodeConfig;
import dev.linden.kvnode.raft.Invariants;
import dev.linden.kvnode.raft.Membership;
import dev.linden.kvnode.raft.RaftConfig;
import dev.linden.kvnode.raft.RaftCore;
import dev.linden.kvnode.raft.Role;
import dev.linden.nemesis.Nemesis;
import dev.linden.workloads.Client;
import dev.linden.workloads.HistoryOp;
import dev.linden.workloads.Workload;
import dev.linden.workloads.check.CheckOutcome;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;

/**
 * A simulated Linden cluster: the real node code (RaftNode, WAL, KV state machine, KvService) of every
 * node on one event loop, with a simulated network, disks and clocks, all derived from one seed. It is
 * the harness's {@link Cluster} for the simulator: the runner's tasks, the clients ({@link SimClient})
 * and the nemesis ({@link SimNemesis}) run on the same loop, so a test run is one thread and the same seed
 * gives the same history. A supervisor restarts nodes that died on their own (storage failures), as
 * systemd would; nodes the nemesis killed stay down until it starts them.
 *
 * <p>While it runs, a {@link SafetyMonitor} checks Raft's safety invariants; at the end the cluster checks
 * that replicas that applied the same prefix hold the same state and that every write acknowledged to a
 * client is in the applied log ({@link #invariants}).
 */
public final class Simulation implements Cluster {
    private static final long MS = 1_000_000L;
    /** Bound on queued events: a run that needs more is a harness error, not an OOM. */
    private static final long MAX_QUEUED_EVENTS = 5_000_000;

    private static final long SUPERVISOR_PERIOD_NANOS = 500 * MS;
    /** Bound on log lines kept per node. */
    private static final int MAX_LOG_LINES = 20_000;

    private final long seed;
    final int nodeCount;
    final SimOptions options;
    final SimLoop loop = new SimLoop(MAX_QUEUED_EVENTS);
    private final SplittableRandom root;
    final SimNetwork network;
    final TreeMap<Integer, SimNode> nodes = new TreeMap<>();
    /** Nodes removed from the configuration and then stopped for good. */
    final TreeSet<Integer> removed = new TreeSet<>();
    /** Largest node id a run may reach by adding nodes (ids are never reused: a removed id stays gone). */
    static final int MAX_NODE_ID = 16;

    private NodeConfig nodeConfig;
    private boolean preallocateWal;
    final SafetyMonitor monitor = new SafetyMonitor(this);
    final DurabilityMonitor durability = new DurabilityMonitor(this);
    final LivenessMonitor liveness = new LivenessMonitor(this);
    final SnapshotMonitor snapshots = new SnapshotMonitor();
    /** The monitor real runs use too, fed the events a node process writes (it only observes). */
    final EventMonitor events = new EventMonitor(v -> violation(v.describeUntimed()));

    final EventSource eventSource =
            new EventSource(this::nowMillis, id -> nodes.get(id).kv.digest(), events::accept);
    /** Leadership transfers the nemesis asked for (each is an election on purpose). */
    long transfersAsked;

    final List<SimClient> clients = new ArrayList<>();
    /** The client processes, by index; each serves {@link SimOptions#workersPerClient()} workers. */
    final List<SimClientProcess> processes = new ArrayList<>();

    private final SimNemesis nemesis;
    /** Nodes whose disk got a flipped bit: they may refuse to start, and stay down then. */
    final Set<Integer> corrupted = new HashSet<>();
    /** Nodes whose disk was replaced by an empty one: they must refuse to start (unless forced back). */
    final Set<Integer> wiped = new HashSet<>();
    /** Nodes whose peers refused their new incarnation (bootstrapped anew after a wipe): down for good. */
    final Set<Integer> refusedByPeers = new HashSet<>();
    /**
     * Nodes whose disk lost data by a disk-damage fault (a WAL tail, every segment, or the whole dir before
     * a bootstrap): they may refuse to start, and stay down then.
     */
    final Set<Integer> damaged = new HashSet<>();
    /** Nodes the nemesis killed: the supervisor leaves them down until the nemesis starts them. */
    final Set<Integer> killedByNemesis = new HashSet<>();

    final List<String> timeline = new ArrayList<>();
    private final Map<Integer, List<String>> logs = new TreeMap<>();
    String violation;
    private boolean started;

    /** A simulated cluster of {@code nodes} nodes, everything drawn from {@code seed}. */
    public Simulation(long seed, int nodes, SimOptions options) {
        if (nodes < 1 || nodes > 9) {
            throw new IllegalArgumentException("a simulated cluster has 1 to 9 nodes");
        }
        this.seed = seed;
        this.nodeCount = nodes;
        this.options = options;
        this.root = new SplittableRandom(seed);
        this.network = new SimNetwork(loop, root.split());
        this.nemesis = new SimNemesis(this, root.split());
        build();
    }

    /** The harness's factory for simulated clusters with these options. */
    public static Cluster.Factory factory(SimOptions options) {
        return (seed, nodes) -> new Simulation(seed, nodes, options);
    }

    /**
     * A test on a simulated cluster, with Linden's defaults (5 nodes, every fault, 30 simulated seconds):
     * set what differs and {@code build().run()}.
     */
    public static TestSpec.Builder test(SimOptions options) {
        TestSpec.Builder b = TestSpec.builder().cluster("sim", factory(options)).phaseWallLimitMillis(300_000);
        if (!options.bugs().isEmpty()) {
            b.option("bug", options.bugName());
        }
        if (options.kvApi() != KvApi.PLAIN) {
            b.option("kv-api", options.kvApi().cliName());
        }
        return b;
    }

    public static TestSpec.Builder test() {
        return test(SimOptions.defaults());
    }

    private void build() {
        List<Integer> ids = new ArrayList<>();
        for (int i = 1; i <= nodeCount; i++) {
            ids.add(i);
        }
        // Small, seed-chosen snapshot intervals, chunks and entry caches: every run compacts its logs many
        // times, nodes that fall behind (crashed, partitioned) catch up by snapshot transfer in several
        // chunks, and leaders read evicted entries back from their WALs for slow followers.
        SplittableRandom snapRandom = root.split();
        // A third of the runs serve reads from leases: 4 of the 15 ticks of an election timeout, one tick
        // left for the phase of the voters' ticks and ten for drift, as the simulator's clock faults may run
        // a leader's clock at half speed and its voters' at one and a half (an election timeout of theirs is
        // a third of one of its: 5 ticks). The rest take ReadIndex.
        boolean leaseReads =
                options.raftBugs().contains(RaftConfig.Bug.LEASE_WITHOUT_DRIFT_BOUND) || snapRandom.nextInt(3) == 0;
        // (the seed-chosen fields are drawn in this order: chunk, trailing window, cache)
        RaftConfig raft = RaftConfig.builder()
                .electionTimeoutTicks(15)
                .heartbeatIntervalTicks(3)
                .maxBatchEntries(256)
                .maxBatchBytes(1 << 20)
                .maxInflightAppends(32)
                .maxUncommittedEntries(10_000)
                .maxReadsAwaitingQuorum(10_000)
                .maxApplyBatchEntries(1024)
                .preVote(!options.preVoteOff())
                .checkQuorum(true)
                .leaseReads(leaseReads)
                .leaseDriftBoundTicks(10)
                .maxSnapshotChunkBytes(256 + snapRandom.nextInt(4096))
                .snapshotTrailingEntries(snapRandom.nextInt(400))
                .maxCachedEntries(4 + snapRandom.nextInt(100))
                .testOnlyBugs(options.raftBugs())
                .build();
        // Sessions idle for 2-6 s expire (clients stay busy, so it is clock faults and restarts that make
        // active sessions expire: session churn).
        NodeConfig nodeConfig = NodeConfig.defaults()
                .withRaft(raft)
                .withTickMillis(10)
                .withSnapshotEveryEntries(50 + snapRandom.nextInt(500))
                .withSessionTtlMillis(2_000 + snapRandom.nextInt(4_000));
        boolean preallocateWal = snapRandom.nextBoolean();
        this.nodeConfig = nodeConfig;
        this.preallocateWal = preallocateWal;
        for (int id : ids) {
            nodes.put(id, new SimNode(id, this, loop, root.split(), ids, nodeConfig, options, preallocateWal));
            nodes.get(id).noDedup = options.noDedup();
            logs.put(id, new ArrayList<>());
        }
    }

    // ------------------------------------------------------------------ Cluster

    @Override
    public String env() {
        return "sim";
    }

    @Override
    public List<Integer> nodes() {
        return List.copyOf(nodes.keySet());
    }

    @Override
    public Scheduler scheduler() {
        return new Scheduler() {
            @Override
            public long nowNanos() {
                return loop.nowNanos();
            }

            @Override
            public void schedule(long delayNanos, Runnable task) {
                loop.at(delayNanos, SimLoop.CLIENT, 0, task);
            }

            @Override
            public boolean runUntil(long deadlineNanos, BooleanSupplier done) {
                // A safety violation ends the run: every later phase returns at once.
                loop.runUntil(deadlineNanos, () -> violation != null || done.getAsBoolean());
                return violation == null && done.getAsBoolean();
            }
        };
    }

    @Override
    public void start() {
        if (started) {
            throw new IllegalStateException("the simulated cluster was started already");
        }
        started = true;
        for (SimNode n : nodes.values()) {
            n.start();
        }
        supervise();
        liveness.start();
    }

    @Override
    public Client client(int thread, Workload workload) {
        // Workers come in groups sharing one client process (one ClientCore, one connection address), as an
        // application's threads share a KvClient. The first worker of a process draws with the process's
        // random: with one worker per process, the run is the one of clients that never pipeline.
        SplittableRandom random = root.split();
        int perProcess = options.workersPerClient();
        if (thread % perProcess == 0) {
            processes.add(new SimClientProcess(this, loop, random, thread / perProcess));
        }
        SimClientProcess process = processes.get(thread / perProcess);
        SimClient c = new SimClient(this, random, workload, thread, process);
        clients.add(c);
        return c;
    }

    @Override
    public Nemesis nemesis() {
        return nemesis;
    }

    /**
     * Whether every node that is up has applied the same index, and that index is at least every up node's
     * commit index (nothing committed is left unapplied anywhere).
     */
    @Override
    public boolean converged() {
        long applied = -1;
        long commit = 0;
        Membership members = committedMembership();
        for (SimNode n : nodes.values()) {
            if (permanentlyDown(n) || !members.contains(n.id)) {
                continue; // down for good, or not a member (removed, or added and not yet in the configuration)
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

    @Override
    public String halted() {
        return violation == null ? null : "safety violation: " + violation;
    }

    @Override
    public String describe() {
        StringBuilder b = new StringBuilder();
        for (SimNode n : nodes.values()) {
            b.append(b.length() == 0 ? "" : "; ").append(n.id).append('=');
            if (!n.up) {
                b.append(permanentlyDown(n) ? "down for good (" + n.refusedReason + ")" : "down");
                continue;
            }
            b.append(n.raft.role())
                    .append("/t")
                    .append(n.raft.term())
                    .append(n.paused ? " paused" : "")
                    .append(" applied ")
                    .append(monitor.lastAppliedOf(n.id));
            if (n.raft.core() != null) {
                RaftCore c = n.raft.core();
                b.append(" [log ")
                        .append(c.firstIndex())
                        .append("..")
                        .append(c.lastIndex())
                        .append(" commit ")
                        .append(c.commitIndex())
                        .append(" durable ")
                        .append(c.durableIndex())
                        .append(c.role() == Role.LEADER ? " " + c.describeProgress() : "")
                        .append(']');
            }
        }
        return b.toString();
    }

    @Override
    public List<CheckOutcome> invariants(List<HistoryOp> history) {
        return SimRunChecks.invariants(this);
    }

    @Override
    public Map<String, Object> facts() {
        return SimRunChecks.facts(this);
    }

    /** The trace hash so far: every event's time, kind and node, and the final state digests. */
    public long traceHash() {
        return loop.traceHash();
    }

    @Override
    public void collectLogs(Path dir) throws IOException {
        for (Map.Entry<Integer, List<String>> e : logs.entrySet()) {
            Path d = dir.resolve("n" + e.getKey());
            Files.createDirectories(d);
            Files.write(d.resolve("node.log"), e.getValue(), StandardCharsets.UTF_8);
        }
        Files.write(dir.resolve("timeline.log"), timeline, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        for (SimClient c : clients) {
            c.close();
        }
        for (CoreRecording r : coreRecordings.values()) {
            try {
                r.close();
            } catch (IOException e) {
                note("core recording not closed: " + e.getMessage());
            }
        }
    }

    /** Recordings of the nodes' cores ({@link SimOptions#recordCores}), one per node, opened at its first start. */
    private final Map<Integer, CoreRecording> coreRecordings = new TreeMap<>();

    /** Where node {@code id} records its core's inputs ({@link CoreRecorder#NONE} if the run records none). */
    CoreRecorder coreRecorder(int id) {
        if (options.recordCores() == null) {
            return CoreRecorder.NONE;
        }
        return coreRecordings.computeIfAbsent(id, n -> {
            Path file =
                    options.recordCores().resolveSibling(options.recordCores().getFileName() + ".node-" + n + ".core");
            try {
                return new CoreRecording(Files.newOutputStream(file));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot record node " + n + "'s core into " + file, e);
            }
        });
    }

    // ------------------------------------------------------------------ wiring used by nodes, clients, nemesis

    SimNode node(int id) {
        return nodes.get(id);
    }

    Collection<SimNode> allNodes() {
        return nodes.values();
    }

    int nodeCount() {
        return nodes.size();
    }

    SimNetwork network() {
        return network;
    }

    DurabilityMonitor durability() {
        return durability;
    }

    SnapshotMonitor snapshots() {
        return snapshots;
    }

    long nowMillis() {
        return loop.nowNanos() / MS;
    }

    LivenessMonitor liveness() {
        return liveness;
    }

    boolean clockFaulted(int id) {
        return nemesis.clockFaulted(id);
    }

    SafetyMonitor monitor() {
        return monitor;
    }

    void violation(String what) {
        if (violation == null) {
            violation = what + " (at " + loop.nowNanos() / MS + " ms)";
            note("VIOLATION " + violation);
        }
    }

    /** A line of the cluster's timeline (faults, deaths), kept for failure reports and timeline.log. */
    void note(String what) {
        if (timeline.size() < MAX_LOG_LINES) {
            timeline.add(String.format("%10.3f %s", loop.nowNanos() / 1e6, what));
        }
    }

    /** A line of one node's log (nodes/n{id}/node.log). */
    void log(int node, String what) {
        List<String> l = logs.get(node);
        if (l != null && l.size() < MAX_LOG_LINES) {
            l.add(String.format("%10.3f %s", loop.nowNanos() / 1e6, what));
        }
    }

    String clusterId() {
        return "sim-" + seed;
    }

    boolean trustLostLog() {
        return options.trustLostLog();
    }

    boolean forceEmptyRejoin() {
        return options.forceEmptyRejoin();
    }

    /** The highest term of any node that is up. */
    long maxTerm() {
        long term = 0;
        for (SimNode n : nodes.values()) {
            if (n.up && n.raft != null && n.raft.core() != null) {
                term = Math.max(term, n.raft.term());
            }
        }
        return term;
    }

    void leaderElected(int id, long term) {
        nemesis.leaderElected(id, term);
    }

    /** The node that leads the highest term among those up, or -1. */
    int leader() {
        int leader = -1;
        long term = -1;
        for (SimNode n : nodes.values()) {
            if (n.up && n.raft != null && n.raft.role() == Role.LEADER && n.raft.term() > term) {
                term = n.raft.term();
                leader = n.id;
            }
        }
        return leader;
    }

    /**
     * A node that is down for good: it refused its corrupted WAL, it lost its disk (or part of it) and refused
     * to rejoin, or
     * it was removed from the configuration and stopped.
     */
    boolean permanentlyDown(SimNode n) {
        return removed.contains(n.id)
                || refusedByPeers.contains(n.id)
                || (n.refusedReason != null
                        && (corrupted.contains(n.id) || wiped.contains(n.id) || damaged.contains(n.id)));
    }

    boolean canAddNode() {
        return nodes.lastKey() < MAX_NODE_ID;
    }

    /** A new, empty node joins the run (not yet a member: it is added by a configuration change). */
    int addNode() {
        int id = nodes.lastKey() + 1;
        Invariants.require(id <= MAX_NODE_ID, "at most " + MAX_NODE_ID + " node ids in a run");
        SimNode n = new SimNode(id, this, loop, root.split(), List.of(), nodeConfig, options, preallocateWal);
        n.noDedup = options.noDedup();
        nodes.put(id, n);
        logs.put(id, new ArrayList<>());
        n.start();
        for (SimClientProcess p : processes) {
            p.nodeAdded(id);
        }
        return id;
    }

    /** A node that left the configuration stops, and is never started again. */
    void removeForGood(int id) {
        removed.add(id);
        SimNode n = nodes.get(id);
        if (n.up) {
            n.crash();
        }
        log(id, "removed from the cluster: stopped for good");
    }

    /** The newest committed configuration any node that is up knows of. */
    Membership committedMembership() {
        Membership best = null;
        long bestCommit = -1;
        for (SimNode n : nodes.values()) {
            if (n.up && n.raft != null && n.raft.core() != null && n.raft.core().commitIndex() > bestCommit) {
                bestCommit = n.raft.core().commitIndex();
                best = n.raft.core().committedMembership();
            }
        }
        return best == null ? Membership.ofVoters(List.copyOf(nodes.keySet())) : best;
    }

    void nodeRefusedToStart(SimNode n, IOException refusal) {
        String reason = refusal.getMessage();
        if (wiped.contains(n.id)) {
            note("node " + n.id + " refused to start on its replaced, empty disk: " + reason);
        } else if (corrupted.contains(n.id)) {
            note("node " + n.id + " refused to start after its injected bit flip: " + reason);
        } else if (damaged.contains(n.id)) {
            note("node " + n.id + " refused to start on its damaged disk: " + reason);
        } else if (n.disk.full && reason.contains("No space left")) {
            // Recovery writes (a torn tail zeroed, the mark): on a full disk it fails, as any write does, and the
            // node stays down until there is room (the supervisor does not start it while the disk is full).
            note("node " + n.id + " could not start on its full disk: " + reason);
        } else if (!(refusal instanceof SimDisk.ReadError)) {
            violation("node " + n.id + " refused to start without any injected corruption: " + reason);
        }
    }

    /**
     * A node's peers refused its data dir's incarnation (it was bootstrapped anew over a member's id): the
     * refusal is the product working, so the node stays down for good; anywhere else it is a violation.
     */
    void nodeRefusedByPeer(SimNode n, String reason) {
        if (wiped.contains(n.id) || damaged.contains(n.id)) {
            note("node " + n.id + ", bootstrapped anew on its replaced disk, was refused by its peers: " + reason);
            refusedByPeers.add(n.id);
        } else {
            violation("node " + n.id + " was refused by a peer without a new bootstrap: " + reason);
        }
    }

    /** Restarts nodes that died on their own and may come back (like systemd would), every half second. */
    private void supervise() {
        loop.at(SUPERVISOR_PERIOD_NANOS, SimLoop.NEMESIS, 0, () -> {
            for (SimNode n : nodes.values()) {
                if (!n.up && !permanentlyDown(n) && !killedByNemesis.contains(n.id) && !n.disk.full) {
                    n.start();
                }
            }
            supervise();
        });
    }

    /** Node died on its own (storage failure): the process exits; the supervisor restarts it later. */
    void nodeDied(int id, String reason) {
        note("node " + id + " exits: " + reason);
        log(id, "exits: " + reason);
        nodes.get(id).crash();
    }
}
