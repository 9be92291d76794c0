package dev.linden.sim;

import dev.linden.kvnode.kv.KvStateMachine;
import dev.linden.kvnode.net.FrameReader;
import dev.linden.kvnode.net.Wire;
import dev.linden.kvnode.node.NodeConfig;
import dev.linden.kvnode.node.NodeStages;
import dev.linden.kvnode.node.RaftNode;
import dev.linden.kvnode.node.Stage;
import dev.linden.kvnode.node.StorageFailedException;
import dev.linden.kvnode.node.TeeListener;
import dev.linden.kvnode.raft.HardState;
import dev.linden.kvnode.raft.InvariantViolation;
import dev.linden.kvnode.raft.Membership;
import dev.linden.kvnode.raft.RaftCore;
import dev.linden.kvnode.raft.RandomSource;
import dev.linden.kvnode.service.ClientRequest;
import dev.linden.kvnode.service.ClientResponse;
import dev.linden.kvnode.service.KvLimits;
import dev.linden.kvnode.service.KvService;
import dev.linden.kvnode.wal.HardStateFile;
import dev.linden.kvnode.wal.NodeIdentity;
import dev.linden.kvnode.wal.PeerIncarnations;
import dev.linden.kvnode.wal.WalConfig;
import dev.linden.kvnode.wal.WalLogStore;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Hosts one real node (RaftNode, WAL, KV state machine, KvService) in the simulation. Its stages are
 * events on the shared loop with simulated CPU latency; its timers run by its own clock (offset, drift,
 * jumps); it can be paused, crashed (losing unsynced writes) and restarted from its simulated disk.
 */
final class SimNode {
    /** How long the node's event loop gathers arriving bytes into one read burst. */
    static final long READ_WINDOW_NANOS = 20_000;
    /** Most messages in one burst (a full burst is handed on at once). */
    static final int MAX_BURST = 256;
    /** Where Raft messages leave and arrive. */
    final SimPeerPort peerPort;
    /** The client port of the current process. */
    private SimClientPort clientPort;
    /** Bound on the tasks a paused node holds (messages to it, its timers). */
    static final int MAX_DEFERRED_TASKS = 1_000_000;

    final int id;
    final SimDisk disk;
    private final Simulation sim;
    private final SimLoop loop;
    private final SplittableRandom random;
    private final List<Integer> voters;
    private final NodeConfig nodeConfig;
    /** Whether this node's WAL zero-fills segments ahead of use (off by default in production; both are tested). */
    private final boolean preallocateWal;
    /** The state machine of the current incarnation (read only between events: the loop is one thread). */
    KvStateMachine kv;
    /** Planted bug (canary): the state machine does not deduplicate retried commands. */
    boolean noDedup;

    private final boolean unsafeLocalReads;

    boolean up;
    long incarnation;
    /** Paused (SIGSTOP): its tasks wait in {@link #deferred} until it resumes. */
    boolean paused;

    private final ArrayList<Object[]> deferred = new ArrayList<>(); // {kind, task}
    String refusedReason;
    /**
     * The next start uses the bootstrap command ({@code new}) whatever came before: a node restarted as
     * new on an emptied data dir, as an operator or a provisioning script might. Cleared by that start.
     */
    boolean bootstrapNextStart;

    RaftNode raft;
    /** Reads served from leases by this node's earlier processes. */
    long leaseReadsBefore;

    long leaseReadsServed() {
        return leaseReadsBefore + (raft == null ? 0 : raft.leaseReadsServed());
    }

    KvService service;
    int starts;

    /** The node's own clock and the timers armed by it. */
    private final SimNodeClock clock;

    SimNode(
            int id,
            Simulation sim,
            SimLoop loop,
            SplittableRandom random,
            List<Integer> voters,
            NodeConfig nodeConfig,
            SimOptions options,
            boolean preallocateWal) {
        this.id = id;
        this.preallocateWal = preallocateWal;
        this.sim = sim;
        this.loop = loop;
        this.random = random;
        this.voters = voters;
        this.nodeConfig = nodeConfig;
        this.unsafeLocalReads = options.unsafeLocalReads();
        this.disk = new SimDisk(
                loop, id, random.split(), 300_000, 4_000_000, options.fsyncLies(), options.dirSyncSkipped());
        long nodeAnchorNanos = random.nextLong(1_000_000_000_000L); // clocks start at different offsets
        this.peerPort = new SimPeerPort(this, sim, loop);
        this.clock = new SimNodeClock(loop, id, nodeAnchorNanos, random.nextLong(-200, 201));
    }

    // ------------------------------------------------------------------ clock

    long nodeNowNanos() {
        return clock.nowNanos();
    }

    /** The clock jumps and/or changes rate; timers pending by this clock move accordingly. */
    void adjustClock(long jumpMillis, long newDriftPpm) {
        clock.adjust(jumpMillis, newDriftPpm);
    }

    // ------------------------------------------------------------------ lifecycle

    /** Starts (or restarts) the node from its disk. A refusal to recover is recorded, not thrown. */
    void start() {
        incarnation++;
        starts++;
        clock.forgetTimers();
        up = true;
        refusedReason = null;
        peerPort.reset(null);
        // The stages share threads as NodeStages says, as in the node server; each task costs simulated time.
        NodeStages.Bound<SimStage> stages = NodeStages.bind(stage -> switch (stage) {
            case RAFT -> new SimStage(5_000, 20_000);
            case APPLY -> new SimStage(5_000, 30_000);
            case SNAPSHOT -> new SimStage(20_000, 200_000);
        });
        SimStage raftStage = stages.raft();
        SimStage applyStage = stages.apply();
        WalLogStore wal = new WalLogStore(
                disk,
                stages.wal(),
                stages.snapshot(),
                new WalConfig(256 * 1024, 100_000, preallocateWal, sim.trustLostLog()));
        RandomSource rs = RandomSource.seeded(SimLoop.mix(random.nextLong(), incarnation));
        kv = noDedup ? KvStateMachine.withoutDeduplicationForTests() : new KvStateMachine();
        raft = new RaftNode(
                id,
                Membership.ofVoters(voters),
                nodeConfig,
                rs,
                raftStage,
                applyStage,
                wal,
                peerPort::send,
                kv,
                this::nodeNowNanos);
        raft.setListener(new TeeListener(sim.monitor(), sim.eventSource));
        raft.setRecorder(sim.coreRecorder(id));
        sim.monitor().nodeStarted(id);
        service = new KvService(raft, unsafeLocalReads, KvLimits.defaults(), kv::storedBytes, kv::answerBytes);
        // The node's own clock as its wall clock (offsets and drift included): leaders disagree on the time.
        service.startExpiries(raftStage, () -> nodeNowNanos() / 1_000_000, this::nodeNowNanos, kv::leases, nodeConfig);
        clientPort =
                new SimClientPort(id, sim, loop, service, raft, this::nodeNowNanos, task -> guard(SimLoop.NET, task));
        try {
            establishIdentity();
            peerPort.reset(PeerIncarnations.load(disk));
            long lostBefore = lostThroughTerm();
            raft.start();
            SimLossFindings.check(sim, id, disk, lostBefore, lostThroughTerm());
            peerPort.greetPeers();
            RaftNode started = raft;
            // The core is built from the recovered log by the first task on the raft stage: check it then.
            raftStage.execute(() -> {
                if (raft == started && started.core() != null) {
                    sim.durability().up(id, started.core());
                }
            });
            sim.log(id, "started (start " + starts + ")");
        } catch (SimDisk.ProcessDied e) {
            sim.log(id, "crashed inside a disk operation while starting");
        } catch (IOException e) {
            up = false;
            refusedReason = e.getMessage();
            sim.log(id, "refused to start: " + e.getMessage());
            sim.nodeRefusedToStart(this, e);
        }
    }

    /** Reads or writes the data dir's identity, as the node process does at start; sets its incarnation. */
    private void establishIdentity() throws IOException {
        // As a supervisor would run it: the first start bootstraps a new cluster, every later one says the
        // cluster exists, so a node whose disk was replaced refuses rather than vote with no memory. The
        // broken variant starts such a node as new, as an operator forcing it back would.
        // A node added at run time (no voters to bootstrap with) joins: empty, it learns its configuration.
        boolean bootstrap = bootstrapNextStart;
        bootstrapNextStart = false;
        NodeIdentity.InitialClusterState state = (starts == 1 || bootstrap) && voters.isEmpty()
                ? NodeIdentity.InitialClusterState.JOIN
                : starts == 1 || bootstrap || sim.forceEmptyRejoin()
                        ? NodeIdentity.InitialClusterState.NEW
                        : NodeIdentity.InitialClusterState.EXISTING;
        // A fresh data dir draws its incarnation (deterministically). The broken variant forced back after a
        // wipe keeps the old one, as an operator copying the identity file back would: peers cannot tell.
        long fresh = sim.forceEmptyRejoin() && dataIncarnation != 0
                ? dataIncarnation
                : SimLoop.mix(SimLoop.mix(sim.clusterId().hashCode(), id), starts) | 1;
        dataIncarnation = NodeIdentity.establish(disk, sim.clusterId(), id, voters, state, fresh)
                .incarnation();
    }

    /**
     * The process dies: its events vanish and unsynced writes may be lost or torn. Returns {unsynced writes
     * lost, writes torn}, or null if it was not running.
     */
    long[] crash() {
        if (!up) {
            return null;
        }
        up = false;
        paused = false;
        deferred.clear();
        incarnation++;
        clock.cancelTimers();
        sim.durability().down(id, raft == null ? null : raft.core());
        leaseReadsBefore += raft == null ? 0 : raft.leaseReadsServed();
        long[] lost = disk.crash();
        peerPort.reset(null);
        clientPort = null;
        raft = null;
        service = null;
        sim.log(id, "process down (" + lost[0] + " unsynced writes lost, " + lost[1] + " torn)");
        return lost;
    }

    /** A stage of this node on the loop, as its pipeline gets them (tests of timers and pauses). */
    Stage stageForTest() {
        return new SimStage(1_000, 2_000);
    }

    /** The process stops running (SIGSTOP): nothing of it runs until {@link #resume()}. */
    void pause() {
        paused = true;
        sim.log(id, "paused");
    }

    /**
     * The process runs again (SIGCONT). Inputs from different peers queue in different sockets, so at
     * resume they interleave in any order; work inside the node (stages, timers) keeps its order. Returns
     * how many tasks had waited.
     */
    int resume() {
        if (!paused) {
            return 0;
        }
        paused = false;
        int n = deferred.size();
        for (Object[] d : deferred) {
            int kind = (Integer) d[0];
            loop.at(kind == SimLoop.NET ? random.nextLong(2_000_000) : 0, kind, id, (Runnable) d[1]);
        }
        deferred.clear();
        sim.log(id, "resumed (" + n + " tasks had waited)");
        return n;
    }

    // ------------------------------------------------------------------ messaging

    /**
     * Whether this node's durable hard state says it lost log it acknowledged: it then stays out of elections
     * until a leader of a later term repairs it, so it is no part of a majority that can elect.
     */
    boolean abstainingAfterLostLog() {
        return lostThroughTerm() > 0;
    }

    private long lostThroughTerm() {
        byte[] bytes = disk.durableBytes(HardStateFile.NAME);
        HardState hs = bytes == null ? null : HardStateFile.decode(bytes);
        return hs == null ? 0 : hs.lostThroughTerm();
    }

    /** This node's data dir incarnation (its identity's), announced with what it sends. */
    long dataIncarnation;

    /** A peer refused this node's incarnation: it stops, as the node process does, saying why. */
    void refusedByPeer(int peer, long refusedIncarnation, String reason) {
        if (!up || refusedIncarnation != dataIncarnation) {
            return;
        }
        crash();
        refusedReason = "refused by node " + peer + ": " + reason;
        sim.log(id, "stopped: " + refusedReason);
        sim.nodeRefusedByPeer(this, refusedReason);
    }

    /**
     * A client's frame arrives at this node's client port ({@link SimClientPort}); answers go back as frames
     * to {@code toClient}.
     */
    void receiveClient(byte[] frame, int clientAddress, Consumer<byte[]> toClient) {
        if (!up) {
            // No process listens: the OS refuses the connection, which the client learns at once and for
            // sure (nothing was applied). A paused process, by contrast, accepts and stays silent.
            long requestId;
            try {
                requestId = peerPort.decode(frame) instanceof ClientRequest r ? r.requestId() : 0;
            } catch (Wire.BadFrameException e) {
                return; // a damaged frame to a closed port: the connection attempt fails, as a timeout
            }
            byte[] refused = FrameReader.encode(
                    new ClientResponse(requestId, ClientResponse.Status.NOT_LEADER, RaftCore.NO_NODE, (byte[]) null));
            sim.network().sendFrame(id, clientAddress, refused, toClient);
            return;
        }
        guard(SimLoop.NET, () -> clientPort.receive(frame, clientAddress, toClient))
                .run();
    }

    /**
     * Wraps a task of this node: dropped if the node crashed since, deferred while it is paused, and
     * run with failure handling (an invariant violation fails the run; a storage failure kills the node).
     */
    Runnable guard(int kind, Runnable task) {
        long inc = incarnation;
        return new Runnable() {
            @Override
            public void run() {
                if (inc != incarnation || !up) {
                    return;
                }
                if (paused) {
                    if (deferred.size() >= MAX_DEFERRED_TASKS) {
                        throw new IllegalStateException("node " + id + " paused with " + MAX_DEFERRED_TASKS
                                + " tasks waiting (a pause longer than any schedule makes)");
                    }
                    deferred.add(new Object[] {kind, this});
                    return;
                }
                try {
                    task.run();
                } catch (SimDisk.ProcessDied e) {
                    // crashed inside a disk operation (a nemesis crash point): already down, nothing more runs
                } catch (InvariantViolation e) {
                    sim.violation("node " + id + ": " + e.getMessage());
                } catch (StorageFailedException e) {
                    sim.note("node " + id + " died: " + e.getMessage());
                    crash();
                }
            }
        };
    }

    /** A pipeline stage of this node on the shared loop: FIFO, with a simulated cost per task. */
    private final class SimStage implements Stage {
        private final long minCostNanos;
        private final long maxCostNanos;
        private long lastAtNanos;

        SimStage(long minCostNanos, long maxCostNanos) {
            this.minCostNanos = minCostNanos;
            this.maxCostNanos = maxCostNanos;
        }

        @Override
        public void execute(Runnable task) {
            long cost = minCostNanos + random.nextLong(maxCostNanos - minCostNanos);
            long at = Math.max(loop.nowNanos() + cost, lastAtNanos);
            lastAtNanos = at;
            loop.at(at - loop.nowNanos(), SimLoop.STAGE, id, guard(SimLoop.STAGE, task));
        }

        @Override
        public Cancellable schedule(long delayMillis, Runnable task) {
            return clock.schedule(delayMillis, task, t -> guard(SimLoop.TICK_OR_TIMER, t));
        }
    }
}
