package dev.linden.kvnode.node;

import dev.linden.kvnode.raft.Entry;
import dev.linden.kvnode.raft.Input;
import dev.linden.kvnode.raft.Invariants;
import dev.linden.kvnode.raft.Membership;
import dev.linden.kvnode.raft.MembershipChange;
import dev.linden.kvnode.raft.Message;
import dev.linden.kvnode.raft.Message.InstallSnapshot;
import dev.linden.kvnode.raft.RaftCore;
import dev.linden.kvnode.raft.RandomSource;
import dev.linden.kvnode.raft.Ready;
import dev.linden.kvnode.raft.Role;
import dev.linden.kvnode.raft.Snapshot;
import dev.linden.kvnode.raft.SnapshotMeta;
import dev.linden.kvnode.raft.SnapshotPayload;
import dev.linden.kvnode.stats.LatencyTimes;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

/**
 * Drives one {@link RaftCore} through the pipeline stages, the same way in production and in the
 * simulator:
 * <ul>
 *   <li><b>raft stage</b> ({@code raftStage}): owns the core, fed only through {@link #step} (one
 *       {@link Input} at a time, recordable); the log's writes and their durability callbacks run here too
 *       ({@link NodeStages#WAL}), with the fsync on the storage's own thread;</li>
 *   <li><b>apply stage</b> ({@code applyStage}): owns the state machine ({@link ApplyLoop}); applies
 *       committed entries and runs confirmed reads' queries, apart from the core, then reports back.</li>
 * </ul>
 * Its parts: {@link Proposals} (client proposals until applied), {@link Reads} (ReadIndex and lease reads),
 * {@link ApplyLoop} (apply, snapshot, restore) and {@link OperatorCalls}; {@link #stop} and a storage failure
 * share one shutdown. The core sees nothing of threads or time: only ticks and notifications.
 */
public final class RaftNode {
    private final int id;
    /** The configuration this node was bootstrapped with (empty for a node that joined a running cluster). */
    private final Membership bootstrap;

    private final NodeConfig config;
    private final RandomSource random;
    private final Stage raftStage;
    private final Stage applyStage;
    private final LogStore logStore;
    private final Transport transport;
    private final StateMachine stateMachine;

    // Raft-stage state.
    private RaftCore core;
    private Stage.Cancellable tickTimer;
    private boolean running;
    private final Proposals proposals;
    private final Reads reads;
    /** The apply stage's part. */
    private final ApplyLoop applyLoop;

    private long appliedIndexSeen;
    private boolean drainScheduled;
    private Ready.SoftState softState;
    private volatile int leaderHint = RaftCore.NO_NODE;
    private volatile Role roleSeen = Role.FOLLOWER;
    private volatile long termSeen;
    private volatile Ready.SoftState softSeen = new Ready.SoftState(Role.FOLLOWER, 0, RaftCore.NO_NODE, 0, 0);
    private NodeListener listener = NodeListener.NONE;
    private CoreRecorder recorder = CoreRecorder.NONE;

    /** Raft stage: the configuration last passed to the transport. */
    private volatile Membership membershipSeen;

    public RaftNode(
            int id,
            List<Integer> voters,
            NodeConfig config,
            RandomSource random,
            Stage raftStage,
            Stage applyStage,
            LogStore logStore,
            Transport transport,
            StateMachine stateMachine) {
        this(
                id,
                Membership.ofVoters(voters),
                config,
                random,
                raftStage,
                applyStage,
                logStore,
                transport,
                stateMachine,
                NO_CLOCK);
    }

    /** A node made without a clock: lease reads refuse, and commits are not timed. */
    private static final LongSupplier NO_CLOCK = () -> {
        throw new IllegalStateException("lease reads need the node's monotonic clock: pass one to RaftNode");
    };

    /**
     * @param monotonicNanos this node's monotonic clock (it keeps running while the process is paused): times
     *                       read leases and commits. Production binds System.nanoTime, the simulator each node's.
     */
    public RaftNode(
            int id,
            Membership bootstrap,
            NodeConfig config,
            RandomSource random,
            Stage raftStage,
            Stage applyStage,
            LogStore logStore,
            Transport transport,
            StateMachine stateMachine,
            LongSupplier monotonicNanos) {
        ReadLease lease = new ReadLease(monotonicNanos, config.raft().leaseTicks() * config.tickMillis() * 1_000_000L);
        this.id = id;
        this.bootstrap = bootstrap;
        this.config = config;
        this.random = random;
        this.raftStage = raftStage;
        this.applyStage = applyStage;
        this.logStore = logStore;
        this.transport = transport;
        this.stateMachine = stateMachine;
        Hooks hooks = new Hooks();
        this.proposals =
                new Proposals(config.maxPendingProposals(), monotonicNanos == NO_CLOCK ? null : monotonicNanos);
        this.reads = new Reads(id, config, lease, applyStage, stateMachine, hooks);
        this.applyLoop = new ApplyLoop(
                id, bootstrap, config.snapshotEveryEntries(), stateMachine, logStore, raftStage, applyStage, hooks);
        this.operatorCalls = new OperatorCalls(hooks, raftStage, config.tickMillis());
    }

    /** What the node's parts call back: operator calls, reads, and the apply stage's reports. */
    private final class Hooks implements OperatorCalls.Node, Reads.Host, ApplyLoop.Raft {
        @Override
        public int id() {
            return id;
        }

        @Override
        public RaftCore coreIfRunning() {
            return running ? core : null;
        }

        @Override
        public long step(Input input) {
            return RaftNode.this.step(input);
        }

        @Override
        public void dropLease() {
            reads.lease.drop();
        }

        @Override
        public void scheduleDrain() {
            RaftNode.this.scheduleDrain();
        }

        @Override
        public String linkProblem(int peer) {
            return transport.linkProblem(peer);
        }

        @Override
        public void leaseRead(long term) {
            listener.onLeaseRead(id, term);
        }

        @Override
        public void applied(List<Entry> batch, List<byte[]> results, long lastIndex) {
            onBatchApplied(batch, results, lastIndex);
        }

        @Override
        public void snapshotDurable(SnapshotMeta snap) {
            if (running) {
                step(new Input.SnapshotTaken(snap));
                logStore.compact(core.firstIndex() - 1); // what the core dropped, maybe less than the snapshot
            }
        }

        @Override
        public NodeListener listener() {
            return listener;
        }
    }

    public void setListener(NodeListener listener) {
        this.listener = listener;
    }

    /** Records every input to this node's core from its next {@link #start} on (call before it). */
    public void setRecorder(CoreRecorder recorder) {
        this.recorder = recorder;
    }

    /**
     * The one path by which this node feeds its core (raft stage): every input as data, so a recording of
     * them replays the core exactly ({@link CoreReplay}).
     */
    private long step(Input input) {
        recorder.input(input);
        return core.step(input);
    }

    /** Recovers from the log store and starts ticking. Call once, from any thread. */
    public void start() throws IOException {
        LogStore.Recovered recovered = logStore.load();
        Snapshot snap = recovered.snapshot();
        listener.onStarted(id, recovered.hardState(), snap == null ? 0 : snap.index(), recovered.lastIndex());
        if (snap != null) {
            applyStage.execute(() -> applyLoop.restore(snap)); // runs before anything applied after it
        }
        Membership base = snap == null ? bootstrap : SnapshotPayload.membership(snap.data(), bootstrap);
        raftStage.execute(() -> {
            CoreRecorder rec = recorder;
            RandomSource draws = rec == CoreRecorder.NONE ? random : bound -> rec.random(bound, random.nextInt(bound));
            rec.started(id, base, config.raft(), recovered.hardState(), SnapshotMeta.of(snap), recovered.entries());
            core = new RaftCore(
                    id, base, config.raft(), draws, recovered.hardState(), SnapshotMeta.of(snap), recovered.entries());
            running = true;
            scheduleTick();
            drain();
        });
    }

    /** Stops ticking and fails everything pending as indeterminate. */
    public void stop() {
        raftStage.execute(
                () -> shutDown(new NodeException(NodeException.Reason.UNKNOWN, RaftCore.NO_NODE, "node stopped")));
    }

    /**
     * The one way a node stops ({@link #stop}, or its storage failed): no more ticks or inputs, and every call
     * pending (proposals, reads, operator calls) fails with {@code reason}.
     */
    private void shutDown(NodeException reason) {
        running = false;
        if (tickTimer != null) {
            tickTimer.cancel();
        }
        proposals.failAll(reason);
        reads.failAll(reason);
        operatorCalls.failAll(reason);
    }

    /** Hands a burst of inbound peer messages to the node in one raft-stage task (any thread). */
    public void receiveAll(List<Message> messages) {
        raftStage.execute(() -> {
            if (running) {
                for (Message m : messages) {
                    step(new Input.Receive(m));
                }
                scheduleDrain();
            }
        });
    }

    /** Replicates {@code command}; completes with the state machine's result once applied here. */
    public CompletableFuture<byte[]> propose(byte[] command) {
        CompletableFuture<byte[]> f = new CompletableFuture<>();
        raftStage.execute(() -> {
            proposeNow(command, f);
            scheduleDrain();
        });
        return f;
    }

    /** Proposes several commands in one raft-stage task (a burst read from one connection). */
    public void proposeAll(List<byte[]> commands, List<CompletableFuture<byte[]>> futures) {
        raftStage.execute(() -> {
            for (int i = 0; i < commands.size(); i++) {
                proposeNow(commands.get(i), futures.get(i));
            }
            scheduleDrain();
        });
    }

    private void proposeNow(byte[] command, CompletableFuture<byte[]> f) {
        if (!running) {
            f.completeExceptionally(new NodeException(NodeException.Reason.NOT_LEADER, RaftCore.NO_NODE, "stopped"));
            return;
        }
        if (proposals.full()) {
            f.completeExceptionally(
                    new NodeException(NodeException.Reason.OVERLOADED, core.leaderId(), "too many pending proposals"));
            return;
        }
        long index = step(new Input.Propose(command));
        if (index == RaftCore.PROPOSE_NOT_LEADER) {
            f.completeExceptionally(
                    new NodeException(NodeException.Reason.NOT_LEADER, core.leaderId(), "not the leader"));
            return;
        }
        if (index == RaftCore.PROPOSE_THROTTLED) {
            f.completeExceptionally(new NodeException(
                    NodeException.Reason.OVERLOADED,
                    core.leaderId(),
                    core.transferTarget() != RaftCore.NO_NODE
                            ? "handing leadership to node " + core.transferTarget()
                            : "too many uncommitted entries"));
            return;
        }
        proposals.add(index, core.term(), f);
    }

    /** On the raft stage: fails {@code f} with NOT_LEADER (and a hint) unless this node leads; true if it did. */
    private boolean refuseUnlessLeader(CompletableFuture<byte[]> f) {
        if (running && core.role() == Role.LEADER) {
            return false;
        }
        f.completeExceptionally(new NodeException(
                NodeException.Reason.NOT_LEADER, running ? core.leaderId() : RaftCore.NO_NODE, "not the leader"));
        return true;
    }

    /** Leadership transfer and membership change: the calls an operator makes of a leader. */
    private final OperatorCalls operatorCalls;

    /**
     * Changes the configuration by one server ({@link MembershipChange}); completes with the committed
     * configuration once it holds the change (at once if it already does). Adding a voter waits for the
     * new node to catch up as a learner; removing this leader hands leadership over first, and then fails
     * with NOT_LEADER naming the new leader, which the caller asks again. Fails with NOT_LEADER on a node
     * that does not lead, IllegalArgumentException if refused, UNKNOWN if not committed within 30 s.
     */
    public CompletableFuture<Membership> changeMembership(MembershipChange change) {
        return operatorCalls.changeMembership(change);
    }

    /**
     * Hands leadership to voter {@code target} (thesis §3.10). Completes with {@code target} once this node
     * sees it lead; fails with NOT_LEADER if this node does not lead, or if the transfer was refused (the
     * target is not another voter), abandoned (the target did not take over within an election timeout), or
     * overtaken by another node's leadership.
     */
    public CompletableFuture<Integer> transferLeadership(int target) {
        return operatorCalls.transferLeadership(target);
    }

    /** The term of the read lease this node holds now, or -1 (for the simulator's lease monitor; raft stage). */
    public long leaseTermHeld() {
        return reads.leaseTermHeld(core);
    }

    /** What is left of the lease held, in milliseconds of this node's clock (0 if none). */
    public long leaseRemainingMillis() {
        return leaseTermHeld() < 0 ? 0 : reads.lease.remainingNanos(reads.lease.now()) / 1_000_000;
    }

    /** Reads served from a lease so far (evidence for tests and the simulator). */
    public long leaseReadsServed() {
        return reads.lease.served;
    }

    /**
     * A linearizable read: by ReadIndex (confirms leadership, waits for apply, then runs the query), or
     * with lease reads on and a lease held, from this leader's state once it applied its commit index.
     */
    public CompletableFuture<byte[]> read(byte[] query) {
        CompletableFuture<byte[]> f = new CompletableFuture<>();
        raftStage.execute(() -> {
            if (refuseUnlessLeader(f)) {
                return;
            }
            reads.read(core, query, f, appliedIndexSeen);
        });
        return f;
    }

    /**
     * A read served from this node's applied state without confirming leadership. NOT linearizable: a
     * deposed leader answers with stale data. Exists only so the harness can prove it catches that bug.
     */
    public CompletableFuture<byte[]> readLocal(byte[] query) {
        CompletableFuture<byte[]> f = new CompletableFuture<>();
        raftStage.execute(() -> {
            if (refuseUnlessLeader(f)) {
                return;
            }
            applyStage.execute(() -> f.complete(stateMachine.query(query)));
        });
        return f;
    }

    // ------------------------------------------------------------------ raft stage internals

    private void scheduleTick() {
        tickTimer = raftStage.schedule(config.tickMillis(), () -> {
            if (!running) {
                return;
            }
            step(new Input.Tick());
            operatorCalls.tick();
            scheduleDrain();
            scheduleTick();
        });
    }

    /**
     * Coalesces work: inputs only mark the node dirty, and one drain runs after every task already queued
     * on the raft stage. Under load many proposals and acks then share one ready: one log write, one
     * AppendEntries per follower (batching falls out of the queue, with no timer to wait for).
     */
    private void scheduleDrain() {
        if (!drainScheduled) {
            drainScheduled = true;
            raftStage.execute(() -> {
                drainScheduled = false;
                drain();
            });
        }
    }

    private void drain() {
        int loops = 0;
        while (running && core.hasReady()) {
            Invariants.check(
                    ++loops <= config.maxReadyLoops(), "ready loop did not settle", id, core.term(), core.lastIndex());
            Ready ready = core.ready();
            recorder.ready(core, ready);
            handle(ready);
        }
    }

    private void handle(Ready r) {
        if (r.hardState() != null) {
            try {
                logStore.saveHardState(r.hardState());
                listener.onHardStateSaved(id, r.hardState());
            } catch (IOException e) {
                // Without a durable vote we must not speak: stop rather than risk two votes in a term.
                running = false;
                throw new StorageFailedException(id, "term/vote", e);
            }
        }
        for (String notice : r.notices()) {
            listener.onNotice(id, notice);
        }
        ListenerTaps.votes(listener, id, r.messages());
        send(r.messages());
        if (r.logWrite() != null) {
            write(r.logWrite());
        }
        if (r.restore() != null) {
            Snapshot snap = r.restore();
            applyStage.execute(() -> {
                applyLoop.restore(snap);
                raftStage.execute(() -> onRestored(snap.index()));
            });
        }
        if (!r.committed().isEmpty()) {
            List<Entry> batch = r.committed();
            proposals.committed(batch);
            applyStage.execute(() -> applyLoop.applyBatch(batch));
        }
        for (Ready.Fetch f : r.fetches()) {
            fetch(f);
        }
        reads.onReady(core, r);
        softState = r.softState();
        operatorCalls.settle(core);
        if (core.membership() != membershipSeen) {
            membershipSeen = core.membership();
            transport.updatePeers(membershipSeen);
            listener.onMembership(
                    id, membershipSeen, core.membershipIndex(), core.commitIndex(), core.role() == Role.LEADER);
        }
        ListenerTaps.softState(listener, id, core, softSeen, softState);
        leaderHint = softState.leaderId();
        roleSeen = softState.role();
        termSeen = softState.term();
        softSeen = softState;
        listener.onSoftState(id, softState);
        reads.serve(appliedIndexSeen);
    }

    private void send(List<Message> messages) {
        for (Message m : messages) {
            if (m instanceof InstallSnapshot is && is.data() == null) {
                try {
                    // Read back from storage (a chunk, from the page cache): snapshots are not kept in memory.
                    m = is.withData(logStore.readSnapshotChunk(is.snapshotIndex(), is.offset(), is.length()));
                } catch (IOException e) {
                    continue; // not durable yet, or replaced: the core sends again after its timeout
                }
            }
            transport.send(m);
        }
    }

    private void write(Ready.LogWrite write) {
        long writeId = write.writeId();
        // The log's writer stage is this raft stage (NodeStages.WAL): the write and its durability
        // callback run here, with no hand-off. A failure is posted, so it never stops the node mid-ready.
        logStore.append(
                write,
                () -> {
                    if (running) {
                        step(new Input.LogWritten(writeId));
                        scheduleDrain();
                    }
                },
                failure -> raftStage.execute(() -> failStorage(failure)));
    }

    /** Reads entries back from storage for a follower (they were evicted from the core's memory). */
    private void fetch(Ready.Fetch f) {
        logStore.read(
                f.fromIndex(),
                f.maxEntries(),
                f.maxBytes(),
                f.terms(),
                entries -> raftStage.execute(() -> {
                    if (running) {
                        step(new Input.EntriesFetched(f.peer(), f.fromIndex(), entries));
                        scheduleDrain();
                    }
                }),
                failure -> raftStage.execute(() -> {
                    if (running) {
                        step(new Input.FetchFailed(f.peer()));
                        scheduleDrain();
                    }
                }));
    }

    private void failStorage(Throwable failure) {
        // A write that could not be made durable: this node can no longer vouch for its log. Stop it;
        // what was durable stays durable and the node recovers from it on restart.
        shutDown(new NodeException(
                NodeException.Reason.UNKNOWN, RaftCore.NO_NODE, "storage failed: " + failure.getMessage()));
        listener.onFatal(id, new StorageFailedException(id, "a log write", failure));
    }

    // ------------------------------------------------------------------ apply stage's reports (raft stage)

    /** On the raft stage: the state machine now holds a snapshot from the leader. */
    private void onRestored(long index) {
        if (!running) {
            return;
        }
        step(new Input.Applied(index));
        appliedIndexSeen = index;
        proposals.replacedThrough(index, core.leaderId()); // in it or not: their outcome is unknown
        reads.serve(appliedIndexSeen);
        scheduleDrain();
    }

    private void onBatchApplied(List<Entry> batch, List<byte[]> results, long last) {
        if (!running) {
            return;
        }
        step(new Input.Applied(last));
        appliedIndexSeen = last;
        proposals.applied(batch, results, core.leaderId());
        reads.serve(appliedIndexSeen);
        scheduleDrain();
    }

    // ------------------------------------------------------------------ observers (any thread)

    /** Its recorder of each proposal's time from proposed to committed (on the raft stage, by this node's clock). */
    public LatencyTimes commitTimes() {
        return proposals.commitTimes();
    }

    public int id() {
        return id;
    }

    public int leaderHint() {
        return leaderHint;
    }

    public Role role() {
        return roleSeen;
    }

    public long term() {
        return termSeen;
    }

    /** The configuration in force as last seen (any thread); null before the node's first step. */
    public Membership membership() {
        return membershipSeen;
    }

    /** The latest role, term, leader, commit and applied index (any thread). */
    public Ready.SoftState softState() {
        return softSeen;
    }

    /** The core, for tests and the simulator's checks. Only touch it on the raft stage. */
    public RaftCore core() {
        return core;
    }
}
