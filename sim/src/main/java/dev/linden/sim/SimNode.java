package dev.linden.sim;

import dev.linden.kvnode.kv.KvStateMachine;
import dev.linden.kvnode.node.NodeConfig;
import dev.linden.kvnode.node.NodeStages;
import dev.linden.kvnode.node.RaftNode;
import dev.linden.kvnode.node.Stage;
import dev.linden.kvnode.node.StorageFailedException;
import dev.linden.kvnode.raft.HardState;
import dev.linden.kvnode.raft.InvariantViolation;
import dev.linden.kvnode.raft.Membership;
import dev.linden.kvnode.raft.Message;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
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
    /** Peer messages read in the current burst, not yet handed to the node. */
    private final ArrayList<Message> inbound = new ArrayList<>();

    private boolean inboundFlushScheduled;
    /** Client requests read in the current burst, by client address. */
    private final TreeMap<Integer, ClientBurst> clientBursts = new TreeMap<>();
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

    // Clock: nodeNanos = nodeAnchor + (real - realAnchor) * (1 + driftPpm / 1e6).
    private long realAnchorNanos;
    private long nodeAnchorNanos;
    private long driftPpm;
    private long nextTimerId;
    private final LinkedHashMap<Long, Timer> timers = new LinkedHashMap<>();

    private final class Timer {
        final long nodeDeadlineNanos;
        final Runnable task;
        SimLoop.Handle handle;

        Timer(long nodeDeadlineNanos, Runnable task) {
            this.nodeDeadlineNanos = nodeDeadlineNanos;
            this.task = task;
        }
    }

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
        this.nodeAnchorNanos = random.nextLong(1_000_000_000_000L); // clocks start at different offsets
        this.driftPpm = random.nextLong(-200, 201);
    }

    // ------------------------------------------------------------------ clock

    long nodeNowNanos() {
        long real = loop.nowNanos() - realAnchorNanos;
        return nodeAnchorNanos + real + real / 1_000_000 * driftPpm;
    }

    private long realDelayFor(long nodeDelayNanos) {
        if (nodeDelayNanos <= 0) {
            return 0;
        }
        return (long) (nodeDelayNanos / (1.0 + driftPpm / 1e6));
    }

    /** The clock jumps and/or changes rate; timers pending by this clock move accordingly. */
    void adjustClock(long jumpMillis, long newDriftPpm) {
        long now = nodeNowNanos();
        realAnchorNanos = loop.nowNanos();
        nodeAnchorNanos = now + jumpMillis * 1_000_000;
        driftPpm = Math.max(-500_000, Math.min(500_000, newDriftPpm));
        for (Timer t : timers.values()) {
            t.handle.cancel();
            armTimer(t);
        }
    }

    private void armTimer(Timer t) {
        long realDelay = realDelayFor(t.nodeDeadlineNanos - nodeNowNanos());
        t.handle = loop.at(realDelay, SimLoop.TICK_OR_TIMER, id, t.task);
    }

    // ------------------------------------------------------------------ lifecycle

    /** Starts (or restarts) the node from its disk. A refusal to recover is recorded, not thrown. */
    void start() {
        incarnation++;
        starts++;
        timers.clear();
        up = true;
        refusedReason = null;
        inbound.clear();
        inboundFlushScheduled = false;
        clientBursts.clear();
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
                this::sendRaft,
                kv,
                this::nodeNowNanos);
        raft.setListener(sim.monitor());
        raft.setRecorder(sim.coreRecorder(id));
        sim.monitor().nodeStarted(id);
        service = new KvService(raft, unsafeLocalReads, KvLimits.defaults(), kv::storedBytes, kv::answerBytes);
        // The node's own clock as its wall clock (offsets and drift included): leaders disagree on the time.
        service.startSessionExpiry(
                raftStage,
                () -> nodeNowNanos() / 1_000_000,
                nodeConfig.sessionTtlMillis(),
                nodeConfig.sessionExpiryEveryMillis());
        try {
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
            peerIncarnations = PeerIncarnations.load(disk);
            raft.start();
            greetPeers();
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
        for (Timer t : timers.values()) {
            t.handle.cancel();
        }
        timers.clear();
        sim.durability().down(id, raft == null ? null : raft.core());
        leaseReadsBefore += raft == null ? 0 : raft.leaseReadsServed();
        long[] lost = disk.crash();
        inbound.clear();
        inboundFlushScheduled = false;
        clientBursts.clear();
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

    private void sendRaft(Message m) {
        checkTermAndVoteDurable(m);
        sim.durability().sending(id, raft == null ? null : raft.core(), m);
        long from = dataIncarnation; // as a connection carries the Hello of the process that opened it
        sim.network().send(id, m.to(), () -> sim.node(m.to()).receiveRaft(m, from));
    }

    /**
     * Whether this node's durable hard state says it lost log it acknowledged: it then stays out of elections
     * until a leader of a later term repairs it, so it is no part of a majority that can elect.
     */
    boolean abstainingAfterLostLog() {
        byte[] bytes = disk.durableBytes(HardStateFile.NAME);
        HardState hs = bytes == null ? null : HardStateFile.decode(bytes);
        return hs != null && hs.lostThroughTerm() > 0;
    }

    /** This node's data dir incarnation (its identity's), announced with what it sends. */
    long dataIncarnation;
    /** The peers' incarnations this node knows, read from its disk at start ({@link PeerIncarnations}). */
    private PeerIncarnations peerIncarnations;

    /**
     * As the peer transport does at a Hello: a message from another incarnation of a node this one knew is
     * refused, and the sender told, which then stops (the node process exits 2 with the reason).
     */
    private boolean admit(int from, long senderIncarnation) {
        String refusal;
        try {
            refusal = peerIncarnations.admit(from, senderIncarnation);
        } catch (IOException e) {
            // Not a refusal: the incarnation could not be recorded (a full disk, say). Nothing is taken from
            // the sender until it can be, as the transport closes the connection and the peer dials again.
            sim.log(
                    id,
                    "dropped a message from node " + from + ": its incarnation could not be recorded: "
                            + e.getMessage());
            return false;
        }
        if (refusal == null) {
            return true;
        }
        sim.log(id, "refused node " + from + ": " + refusal);
        sim.node(from).refusedByPeer(id, senderIncarnation, refusal);
        return false;
    }

    /**
     * As the peer transport dials every peer when it starts (and each accepted connection answers), a
     * started node greets every other node over the simulated network: both record each other's
     * incarnation whether or not Raft traffic ever flows between them (followers seldom talk to each other).
     */
    private void greetPeers() {
        long mine = dataIncarnation;
        for (SimNode peer : sim.allNodes()) {
            if (peer.id != id) {
                sim.network().send(id, peer.id, () -> peer.receiveHello(id, mine, true));
            }
        }
    }

    private void receiveHello(int from, long senderIncarnation, boolean answer) {
        guard(SimLoop.NET, () -> {
                    if (admit(from, senderIncarnation) && answer) {
                        long mine = dataIncarnation;
                        sim.network().send(id, from, () -> sim.node(from).receiveHello(id, mine, false));
                    }
                })
                .run();
    }

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
     * An independent monitor of Raft's persistence rule, read from the simulated disk's durable bytes (not
     * from the node's word): a node never announces a term, or a vote it cast, that a crash would make it
     * forget. PreVote traffic is exempt: it carries a term the sender would campaign in, never one it holds.
     */
    private void checkTermAndVoteDurable(Message m) {
        boolean preVote = (m instanceof Message.VoteRequest vr && vr.preVote())
                || (m instanceof Message.VoteResponse vp && vp.preVote());
        if (preVote || m.term() == 0) {
            return;
        }
        byte[] bytes = disk.durableBytes(HardStateFile.NAME);
        HardState hs = bytes == null ? HardState.INITIAL : HardStateFile.decode(bytes);
        String broken = null;
        if (hs == null) {
            broken = "its durable hard state does not decode";
        } else if (hs.term() < m.term()) {
            broken = "its durable term is " + hs.term();
        } else if (hs.term() > m.term()) {
            // A later term is durable (one ready can grant a vote and then move on to a newer term): the node
            // can never vote in the message's term again, whatever it holds for the newer one.
            broken = null;
        } else if (m instanceof Message.VoteResponse v && v.granted() && hs.votedFor() != m.to()) {
            broken = "its durable vote in term " + hs.term() + " is for " + hs.votedFor();
        } else if (m instanceof Message.VoteRequest && hs.votedFor() != id) {
            broken = "its durable vote in term " + hs.term() + " is for " + hs.votedFor() + ", not itself";
        }
        if (broken != null) {
            sim.violation("durable vote: node " + id + " sent " + m.getClass().getSimpleName() + " of term " + m.term()
                    + " to node " + m.to() + " but " + broken + " (a crash now would let it vote twice or go back)");
        }
    }

    /**
     * A peer message arrives. As the node server's event loop does, the node reads what arrives within a
     * short window as one burst and hands it to the node with the batch entry point production uses.
     */
    private void receiveRaft(Message m, long senderIncarnation) {
        guard(SimLoop.NET, () -> {
                    if (!admit(m.from(), senderIncarnation)) {
                        return;
                    }
                    inbound.add(m);
                    if (inbound.size() >= MAX_BURST) {
                        flushInbound();
                    } else if (!inboundFlushScheduled) {
                        inboundFlushScheduled = true;
                        loop.at(READ_WINDOW_NANOS, SimLoop.NET, id, guard(SimLoop.NET, this::flushInbound));
                    }
                })
                .run();
    }

    private void flushInbound() {
        inboundFlushScheduled = false;
        if (inbound.isEmpty()) {
            return;
        }
        List<Message> burst = new ArrayList<>(inbound);
        inbound.clear();
        raft.receiveAll(burst);
    }

    /** Requests read from one client's connection within the read window, and where their answers go. */
    private final class ClientBurst {
        final ArrayList<ClientRequest> requests = new ArrayList<>();
        final Consumer<ClientResponse> reply;

        ClientBurst(Consumer<ClientResponse> reply) {
            this.reply = reply;
        }
    }

    void receiveClient(ClientRequest request, int clientAddress, Consumer<ClientResponse> onResponse) {
        if (!up) {
            // No process listens: the OS refuses the connection, which the client learns at once and for
            // sure (nothing was applied). A paused process, by contrast, accepts and stays silent.
            sim.network()
                    .send(
                            id,
                            clientAddress,
                            () -> onResponse.accept(new ClientResponse(
                                    request.requestId(), ClientResponse.Status.NOT_LEADER, RaftCore.NO_NODE, (byte[])
                                            null)));
            return;
        }
        guard(SimLoop.NET, () -> {
                    ClientBurst burst = clientBursts.get(clientAddress);
                    if (burst == null) {
                        ClientBurst fresh = new ClientBurst(
                                resp -> sim.network().send(id, clientAddress, () -> onResponse.accept(resp)));
                        clientBursts.put(clientAddress, fresh);
                        burst = fresh;
                        loop.at(
                                READ_WINDOW_NANOS,
                                SimLoop.NET,
                                id,
                                guard(SimLoop.NET, () -> flushClient(clientAddress)));
                    }
                    burst.requests.add(request);
                })
                .run();
    }

    /** A client connection's burst goes to the service's batch entry point, as the client port does. */
    private void flushClient(int clientAddress) {
        ClientBurst burst = clientBursts.remove(clientAddress);
        if (burst != null && !burst.requests.isEmpty()) {
            service.handleAll(burst.requests, burst.reply);
        }
    }

    /**
     * Wraps a task of this node: dropped if the node crashed since, deferred while it is paused, and
     * run with failure handling (an invariant violation fails the run; a storage failure kills the node).
     */
    private Runnable guard(int kind, Runnable task) {
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
            long timerId = nextTimerId++;
            Runnable fire = guard(SimLoop.TICK_OR_TIMER, () -> {
                // Once only: a firing deferred by a pause and a re-arming by a clock fault during that pause
                // both arrive at resume, and the second must find the timer gone.
                if (timers.remove(timerId) == null) {
                    return;
                }
                task.run();
            });
            Timer armed = new Timer(nodeNowNanos() + delayMillis * 1_000_000, fire);
            timers.put(timerId, armed);
            armTimer(armed);
            return () -> {
                Timer removed = timers.remove(timerId);
                if (removed != null) {
                    removed.handle.cancel();
                }
            };
        }
    }
}
