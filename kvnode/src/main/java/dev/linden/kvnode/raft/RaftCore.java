package dev.linden.kvnode.raft;

import dev.linden.kvnode.raft.Message.AppendRequest;
import dev.linden.kvnode.raft.Message.AppendResponse;
import dev.linden.kvnode.raft.Message.HeartbeatRequest;
import dev.linden.kvnode.raft.Message.HeartbeatResponse;
import dev.linden.kvnode.raft.Message.InstallSnapshot;
import dev.linden.kvnode.raft.Message.SnapshotResponse;
import dev.linden.kvnode.raft.Message.VoteRequest;
import dev.linden.kvnode.raft.Message.VoteResponse;
import java.util.List;

/**
 * The Raft consensus core: a pure, single-threaded state machine. It owns no clock, thread, disk,
 * network or randomness; a driver feeds it {@link #tick()}, {@link #step(Message)}, {@link #propose},
 * {@link #readIndex}, {@link #onLogWritten} and {@link #onApplied}, and drains what it must do with
 * {@link #ready()} (see {@link Ready} for the ordering contract).
 *
 * <p>Pipeline: the leader appends a proposal to its in-memory log and, in the same ready, hands the
 * entries both to its own disk and to followers; its own durable index counts in the commit quorum
 * like a follower's ack. Followers acknowledge only what they have made durable.
 *
 * <p>This class is the hub: term, vote, commit, the log, role transitions and the outputs. Each role's
 * state lives in an object created on the transition into the role and dropped on the next
 * ({@link LeaderState}, {@link FollowerState}, {@link CandidateState}). The rule for each message is in
 * the file of its concern:
 * <ul>
 *   <li>{@link VoteRequest}, {@link VoteResponse}, the election timer: {@link Election};</li>
 *   <li>{@link AppendRequest}, {@link HeartbeatRequest}, acknowledgements: {@link FollowerReplication};</li>
 *   <li>{@link AppendResponse}, {@link HeartbeatResponse}, heartbeats, the commit rule, fetches of evicted
 *       entries: {@link LeaderReplication};</li>
 *   <li>{@link InstallSnapshot}, {@link SnapshotResponse}, compaction: {@link SnapshotTransfer};</li>
 *   <li>read rounds: {@link ReadIndex}; what of the log is durable: {@link LocalLog};</li>
 *   <li>{@link Message.TimeoutNow}: {@link LeaderTransfer}; configuration changes: {@link MembershipChanges}.</li>
 * </ul>
 */
public final class RaftCore {
    public static final int NO_NODE = 0;
    /** {@link #propose} result: this node is not the leader. */
    public static final long PROPOSE_NOT_LEADER = -1;
    /** {@link #propose} result: too many uncommitted entries; retry later. */
    public static final long PROPOSE_THROTTLED = -2;

    private final int id;
    private final RaftConfig config;
    final RandomSource random;
    final RaftLog log;
    final LocalLog local;

    // Persistent state (Figure 2); changes set hardStateDirty and are emitted in the next ready.
    long term;
    int votedFor;
    boolean hardStateDirty;

    Role role = Role.FOLLOWER;
    int leaderId = NO_NODE;
    /** Exactly the one matching {@link #role} is non-null. */
    LeaderState leader;

    FollowerState follower = new FollowerState();
    CandidateState candidate;

    /** Invariant: never decreases; commitIndex <= lastIndex. */
    long commitIndex;
    /** Invariant: appliedIndex <= handedToApplyIndex <= commitIndex. */
    long appliedIndex;

    long handedToApplyIndex;

    // Snapshots (Raft §7): metadata of its own (see Snapshot); a follower holds a leader's until it is restored.
    /** The newest snapshot this node holds durably (taken here or installed from a leader). */
    SnapshotMeta latestSnapshot = SnapshotMeta.NONE;
    /** Follower: a received snapshot to load into the state machine. */
    Snapshot snapshotToRestore;

    /** Outputs accumulated for the next ready, and its assembly. */
    final Outputs out = new Outputs(this);

    final Election election = new Election(this);
    final LeaderReplication replication = new LeaderReplication(this);
    final FollowerReplication followerReplication = new FollowerReplication(this);
    final SnapshotTransfer snapshots = new SnapshotTransfer(this);
    final LeaderTransfer transfer = new LeaderTransfer(this);
    final MembershipChanges memberships = new MembershipChanges(this);
    final RoleTransitions roles = new RoleTransitions(this);
    private final TermRules terms = new TermRules(this);
    final LostLog lostLog;

    /**
     * @param id           this node's id (> 0)
     * @param hardState    the durable term and vote recovered from disk
     * @param base         the configuration in force at the snapshot (the bootstrap one without a snapshot;
     *                     {@link Membership#EMPTY} for a node that joins and learns it from the leader);
     *                     configuration entries in the log override it
     * @param snapshot     the durable snapshot recovered from disk ({@link SnapshotMeta#NONE} if none);
     *                     the state machine has already loaded it
     * @param durableLog   the durable log after the snapshot, contiguous from {@code snapshot.index() + 1}
     */
    public RaftCore(
            int id,
            Membership base,
            RaftConfig config,
            RandomSource random,
            HardState hardState,
            SnapshotMeta snapshot,
            List<Entry> durableLog) {
        Invariants.require(id > 0, "node id must be > 0");
        this.id = id;
        this.config = config;
        this.random = random;
        this.log = new RaftLog(snapshot.index(), snapshot.term(), base, durableLog);
        this.local = new LocalLog(log);
        this.term = hardState.term();
        this.votedFor = hardState.votedFor();
        this.latestSnapshot = snapshot;
        this.commitIndex = snapshot.index();
        this.appliedIndex = snapshot.index();
        this.handedToApplyIndex = snapshot.index();
        this.lostLog = new LostLog(this, hardState.lostThroughTerm());
        Invariants.check(log.lastTerm() <= term, "log term beyond current term", id, term, log.lastIndex());
        election.resetTimer();
    }

    // ------------------------------------------------------------------ inputs

    /** The one input path: any {@link Input}; returns the proposal's result for a Propose, else 0. */
    public long step(Input input) {
        return input.applyTo(this);
    }

    /** Advances logical time by one tick. */
    public void tick() {
        if (election.ticksSinceStart < Integer.MAX_VALUE) {
            election.ticksSinceStart++;
        }
        if (role == Role.LEADER) {
            replication.tick();
        } else {
            election.tick();
        }
    }

    /** Proposes a command. Returns its log index, or {@link #PROPOSE_NOT_LEADER} / {@link #PROPOSE_THROTTLED}. */
    public long propose(byte[] command) {
        if (role != Role.LEADER) {
            return PROPOSE_NOT_LEADER;
        }
        if (log.lastIndex() - commitIndex >= config.maxUncommittedEntries() || transfer.inProgress()) {
            return PROPOSE_THROTTLED; // too much uncommitted, or handing over: the target must catch up to a fixed log
        }
        long index = log.lastIndex() + 1;
        local.append(new Entry(term, index, Entry.Kind.COMMAND, command));
        leader.appendsPending = true;
        return index;
    }

    /**
     * Asks for a linearizable read point. The answer comes as a {@link Ready.ReadState} with the same
     * {@code ctx} once a quorum confirmed this node is still leader, or in {@link Ready#failedReads()}.
     */
    public void readIndex(long ctx) {
        if (leader == null || leader.reads.pending() >= config.maxReadsAwaitingQuorum()) {
            out.failedReads.add(ctx);
            return;
        }
        leader.reads.ask(ctx, committedInOwnTerm(), commitIndex);
    }

    /** The log write with this id (and every earlier one) is durable. */
    public void onLogWritten(long writeId) {
        if (local.written(writeId, id, term)) {
            local.evictCache(appliedIndex, config.maxCachedEntries());
            lostLog.maybeRepaired();
        }
        if (role == Role.LEADER) {
            replication.maybeCommit();
        } else {
            followerReplication.maybeAck();
        }
    }

    /** The apply stage has applied every entry up to {@code index}. */
    public void onApplied(long index) {
        Invariants.check(
                index <= handedToApplyIndex,
                "applied " + index + " beyond handed-out " + handedToApplyIndex,
                id,
                term,
                index);
        Invariants.check(index >= appliedIndex, "applied index went back from " + appliedIndex, id, term, index);
        appliedIndex = index;
        local.evictCache(appliedIndex, config.maxCachedEntries());
    }

    /** Entries read back from storage for follower {@code peer}, as asked by a {@link Ready.Fetch}. */
    public void onEntriesFetched(int peer, long fromIndex, List<Entry> entries) {
        if (role == Role.LEADER) {
            replication.fetched(peer, fromIndex, entries);
        }
    }

    /** A {@link Ready.Fetch} for {@code peer} failed; the follower is probed again after the next heartbeat. */
    public void onFetchFailed(int peer) {
        if (role == Role.LEADER) {
            replication.fetchFailed(peer);
        }
    }

    /**
     * Hands leadership to voter {@code target} (thesis §3.10): proposals are refused meanwhile, and the
     * transfer is abandoned after an election timeout. Returns false if this node cannot start one (it is
     * not the leader, or the target is not another voter); the reason is a notice.
     */
    public boolean transferLeadership(int target) {
        return transfer.start(target);
    }

    /**
     * Whether this leader may serve reads from a lease now (the driver times the lease): it leads, an entry
     * of its term is committed, and it has not begun a leadership transfer in this term (a transfer lets
     * the target be elected past the voters' lease, so a leader that began one holds no lease again).
     */
    public boolean leaseReadsAllowed() {
        return config.leaseReads() && role == Role.LEADER && committedInOwnTerm() && !leader.transferBegun;
    }

    /**
     * Asks the leader for one single-server configuration change ({@link MembershipChanges}). Returns the
     * configuration entry's index, 0 if the change is already in force (or a learner's promotion is now
     * pending), {@link #PROPOSE_NOT_LEADER}, {@link #PROPOSE_THROTTLED} (ask again: another change or a
     * transfer is under way, voters must answer first, or nothing of this term is committed yet) or -3
     * (refused for good). {@link #membershipNote()} says why for the last two.
     */
    public long changeMembership(MembershipChange change) {
        return memberships.propose(change);
    }

    /** Why the last membership change asked was refused or waits ("" if nothing was said). */
    public String membershipNote() {
        return memberships.note;
    }

    /** An event an operator should see in the node's log. */
    void notice(String what) {
        out.notices.add(what);
    }

    /** This node's own snapshot through {@code meta.index()} is durable: the log before it is compacted. */
    public void onSnapshotTaken(SnapshotMeta meta) {
        snapshots.taken(meta);
    }

    /** Handles a message from a peer: first the term rules (§5.1, PreVote, leases), then its own rule. */
    public void step(Message m) {
        Invariants.require(m.to() == id, "message for node " + m.to() + " delivered to " + id);
        terms.step(m);
    }

    public boolean hasReady() {
        return out.hasReady();
    }

    /** Drains everything the driver must do now. See {@link Ready} for the order. */
    public Ready ready() {
        Ready r = out.ready();
        checkInvariants();
        return r;
    }

    /** Starts an election now, as if the election timer fired (scripted tests, leadership transfer). */
    public void startElection() {
        if (role != Role.LEADER) {
            election.campaign();
        }
    }

    void advanceCommit(long index) {
        if (index > commitIndex) {
            Invariants.check(index <= log.lastIndex(), "commit beyond log end " + log.lastIndex(), id, term, index);
            commitIndex = index;
        }
    }

    boolean committedInOwnTerm() {
        return leader != null && commitIndex >= leader.firstIndexOfTerm;
    }

    int quorum() {
        return membership().quorum();
    }

    int[] votersArray() {
        return membership().votersView();
    }

    void send(Message m) {
        out.outbox.add(m);
    }

    /** After every ready: the core's invariants, and the current role's ({@link CoreInvariants}). */
    void checkInvariants() {
        CoreInvariants.check(this, id);
    }

    // ------------------------------------------------------------------ observers

    public int id() {
        return id;
    }

    public long term() {
        return term;
    }

    public int votedFor() {
        return votedFor;
    }

    public Role role() {
        return role;
    }

    public int leaderId() {
        return leaderId;
    }

    public long commitIndex() {
        return commitIndex;
    }

    /** The log index of the configuration in force (its entry's, or the snapshot's it came with). */
    public long membershipIndex() {
        return log.memberships.currentIndex();
    }

    public long appliedIndex() {
        return appliedIndex;
    }

    public long durableIndex() {
        return local.durableIndex;
    }

    public long lastIndex() {
        return log.lastIndex();
    }

    /** First entry whose payload is in memory; {@link #entryAt} works from there. */
    public long cacheFirstIndex() {
        return log.cacheFirstIndex();
    }

    /** First entry held in memory; earlier ones are covered by a snapshot. */
    public long firstIndex() {
        return log.firstIndex();
    }

    public SnapshotMeta latestSnapshot() {
        return latestSnapshot;
    }

    public long termAt(long index) {
        return log.term(index);
    }

    public Entry entryAt(long index) {
        return log.entry(index);
    }

    /** The configuration in force: the newest in the log, committed or not (thesis §4.1). */
    public Membership membership() {
        return log.memberships.current();
    }

    /** The configuration of the newest configuration entry that is committed (or of the snapshot). */
    public Membership committedMembership() {
        return log.memberships.at(commitIndex);
    }

    public RaftConfig config() {
        return config;
    }

    /** The voter leadership is being handed to, or {@link #NO_NODE}. */
    public int transferTarget() {
        return leader == null ? NO_NODE : leader.transferTarget;
    }

    /** The leader's view of each follower (for diagnostics); empty on a follower. */
    public String describeProgress() {
        return leader == null ? "[]" : leader.progress.values().toString();
    }

    @Override
    public String toString() {
        return "RaftCore{id=" + id + " " + role + " term=" + term + " leader=" + leaderId + " last=" + log.lastIndex()
                + " durable=" + local.durableIndex + " commit=" + commitIndex + " applied=" + appliedIndex + " "
                + membership() + "}";
    }
}
