package dev.linden.kvnode.raft;

import dev.linden.kvnode.raft.Message.AppendRequest;
import dev.linden.kvnode.raft.Message.AppendResponse;
import dev.linden.kvnode.raft.Message.HeartbeatRequest;
import dev.linden.kvnode.raft.Message.HeartbeatResponse;
import dev.linden.kvnode.raft.Message.InstallSnapshot;
import dev.linden.kvnode.raft.Message.SnapshotResponse;
import dev.linden.kvnode.raft.Message.VoteRequest;
import dev.linden.kvnode.raft.Message.VoteResponse;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;

/**
 * The Raft consensus core: a pure, single-threaded state machine. It owns no clock, thread, disk,
 * network or randomness; a driver feeds it {@link #tick()}, {@link #step(Message)}, {@link #propose},
 * {@link #readIndex}, {@link #onLogWritten} and {@link #onApplied}, and drains what it must do with
 * {@link #ready()} (see {@link Ready} for the ordering contract).
 *
 * <p>Pipeline: the leader appends a proposal to its in-memory log and, in the same ready, hands the
 * entries both to its own disk and to followers; its own durable index counts in the commit quorum
 * like a follower's ack. Followers acknowledge only what they have made durable.
 */
public final class RaftCore {
    public static final int NO_NODE = 0;
    /** {@link #propose} result: this node is not the leader. */
    public static final long PROPOSE_NOT_LEADER = -1;
    /** {@link #propose} result: too many uncommitted entries; retry later. */
    public static final long PROPOSE_THROTTLED = -2;

    private final int id;
    private final int[] voters;
    private final RaftConfig config;
    private final RandomSource random;
    private final RaftLog log;

    // Persistent state (Figure 2); changes set hardStateDirty and are emitted in the next ready.
    private long term;
    private int votedFor;
    private boolean hardStateDirty;

    private Role role = Role.FOLLOWER;
    private int leaderId = NO_NODE;
    /** Invariant: never decreases; commitIndex <= lastIndex. */
    private long commitIndex;
    /** Invariant: appliedIndex <= handedToApplyIndex <= commitIndex. */
    private long appliedIndex;
    private long handedToApplyIndex;

    /** Highest index known durable on this node's disk (and matching the in-memory log). */
    private long durableIndex;
    private long nextWriteId = 1;
    private final ArrayDeque<long[]> pendingWrites = new ArrayDeque<>(); // {writeId, firstIndex, lastIndex}
    /** Lowest index changed in memory since the last ready, Long.MAX_VALUE if none. */
    private long unwrittenFromIndex = Long.MAX_VALUE;

    // Follower state.
    /** Highest index known to match the current leader's log (reset when the leader changes). */
    private long verifiedIndex;
    private long lastAckSentIndex;

    // Election state.
    private int electionElapsedTicks;
    private int heartbeatElapsedTicks;
    private int randomizedElectionTimeoutTicks;
    private final TreeMap<Integer, Boolean> votes = new TreeMap<>();

    // Leader state.
    private final TreeMap<Integer, Progress> progress = new TreeMap<>();
    private boolean appendsPending;
    private long leaderFirstIndex;

    // ReadIndex (Raft thesis §6.4).
    private long readSeq;
    private final ArrayDeque<Long> readsAwaitingOwnTermCommit = new ArrayDeque<>();
    private final ArrayList<long[]> readsToConfirm = new ArrayList<>(); // {ctx, index}
    private final ArrayDeque<long[]> readsAwaitingQuorum = new ArrayDeque<>(); // {ctx, index, seq}

    // Snapshots (Raft §7). The driver holds the bytes; the core only their metadata.
    /** The newest snapshot this node holds durably (taken here or installed from a leader). */
    private SnapshotMeta latestSnapshot = SnapshotMeta.NONE;
    /** Follower: the snapshot being received, chunk by chunk. */
    private SnapshotMeta receiving;
    private byte[] receivingBytes;
    private long receivedBytes;
    /** Follower: a received snapshot to make durable and to load into the state machine. */
    private Snapshot snapshotToWrite;
    private Snapshot snapshotToRestore;

    // Outputs accumulated for the next ready.
    private final ArrayList<Message> outbox = new ArrayList<>();
    /** Events an operator should see in the node's log (bounded: at most one per input handled). */
    private final ArrayList<String> notices = new ArrayList<>();
    private final ArrayList<Ready.ReadState> readStates = new ArrayList<>();
    private final ArrayList<Long> failedReads = new ArrayList<>();
    private final ArrayList<Ready.Fetch> fetches = new ArrayList<>();

    /**
     * @param id           this node's id (> 0)
     * @param voters       all voting members, including this node
     * @param hardState    the durable term and vote recovered from disk
     * @param durableLog   the durable log recovered from disk, contiguous from index 1
     */
    public RaftCore(int id, List<Integer> voters, RaftConfig config, RandomSource random, HardState hardState,
                    List<Entry> durableLog) {
        this(id, voters, config, random, hardState, SnapshotMeta.NONE, durableLog);
    }

    /**
     * @param snapshot     the durable snapshot recovered from disk ({@link SnapshotMeta#NONE} if none);
     *                     the state machine has already loaded it
     * @param durableLog   the durable log after the snapshot, contiguous from {@code snapshot.index() + 1}
     */
    public RaftCore(int id, List<Integer> voters, RaftConfig config, RandomSource random, HardState hardState,
                    SnapshotMeta snapshot, List<Entry> durableLog) {
        Invariants.require(id > 0, "node id must be > 0");
        Invariants.require(voters.contains(id), "voters must include this node " + id);
        this.id = id;
        this.voters = voters.stream().mapToInt(Integer::intValue).sorted().distinct().toArray();
        this.config = config;
        this.random = random;
        this.log = new RaftLog(snapshot.index(), snapshot.term(), durableLog);
        this.term = hardState.term();
        this.votedFor = hardState.votedFor();
        this.durableIndex = log.lastIndex();
        this.latestSnapshot = snapshot;
        this.commitIndex = snapshot.index();
        this.appliedIndex = snapshot.index();
        this.handedToApplyIndex = snapshot.index();
        Invariants.check(log.lastTerm() <= term, "log term beyond current term", id, term, log.lastIndex());
        resetElectionTimer();
    }

    // ------------------------------------------------------------------ inputs

    /** Advances logical time by one tick. */
    public void tick() {
        if (role == Role.LEADER) {
            tickLeader();
        } else {
            electionElapsedTicks++;
            if (electionElapsedTicks >= randomizedElectionTimeoutTicks) {
                campaign();
            }
        }
    }

    /** Proposes a command. Returns its log index, or {@link #PROPOSE_NOT_LEADER} / {@link #PROPOSE_THROTTLED}. */
    public long propose(byte[] command) {
        if (role != Role.LEADER) {
            return PROPOSE_NOT_LEADER;
        }
        if (log.lastIndex() - commitIndex >= config.maxUncommittedEntries()) {
            return PROPOSE_THROTTLED;
        }
        long index = log.lastIndex() + 1;
        appendLocal(new Entry(term, index, Entry.Kind.COMMAND, command));
        appendsPending = true;
        return index;
    }

    /**
     * Asks for a linearizable read point. The answer comes as a {@link Ready.ReadState} with the same
     * {@code ctx} once a quorum confirmed this node is still leader, or in {@link Ready#failedReads()}.
     */
    public void readIndex(long ctx) {
        int pending = readsAwaitingOwnTermCommit.size() + readsToConfirm.size() + readsAwaitingQuorum.size();
        if (role != Role.LEADER || pending >= config.maxPendingReads()) {
            failedReads.add(ctx);
            return;
        }
        if (!committedInOwnTerm()) {
            // A new leader does not know the latest commit index until its own no-op commits (§8).
            readsAwaitingOwnTermCommit.addLast(ctx);
        } else {
            readsToConfirm.add(new long[] {ctx, commitIndex});
        }
    }

    /** The log write with this id (and every earlier one) is durable. */
    public void onLogWritten(long writeId) {
        long[] head = pendingWrites.pollFirst();
        Invariants.check(head != null && head[0] == writeId, "log writes must complete in order, got " + writeId
                + (head == null ? " with none pending" : " expected " + head[0]), id, term, durableIndex);
        // Storage now holds the log as it was when this write was issued. Later truncations (pending
        // writes that replace a suffix, or in-memory changes not yet issued) make part of it stale.
        long durable = head[2];
        for (long[] later : pendingWrites) {
            durable = Math.min(durable, later[1] - 1);
        }
        if (unwrittenFromIndex != Long.MAX_VALUE) {
            durable = Math.min(durable, unwrittenFromIndex - 1);
        }
        if (durable > durableIndex) {
            durableIndex = Math.min(durable, log.lastIndex());
            evictCache();
        }
        if (role == Role.LEADER) {
            maybeCommit();
        } else {
            maybeAck();
        }
    }

    /** The apply stage has applied every entry up to {@code index}. */
    public void onApplied(long index) {
        Invariants.check(index <= handedToApplyIndex, "applied " + index + " beyond handed-out "
                + handedToApplyIndex, id, term, index);
        Invariants.check(index >= appliedIndex, "applied index went back from " + appliedIndex, id, term, index);
        appliedIndex = index;
        evictCache();
    }

    /** Keeps at most maxCachedEntries payloads in memory, evicting only what is durable and applied. */
    private void evictCache() {
        int over = log.cachedEntries() - config.maxCachedEntries();
        if (over <= 0) {
            return;
        }
        long evictable = Math.min(Math.min(appliedIndex, durableIndex), unwrittenFromIndex - 1);
        long to = Math.min(evictable, log.cacheFirstIndex() + over - 1);
        if (to >= log.cacheFirstIndex()) {
            log.evictTo(to);
        }
    }

    /** Entries read back from storage for follower {@code peer}, as asked by a {@link Ready.Fetch}. */
    public void onEntriesFetched(int peer, long fromIndex, List<Entry> entries) {
        Progress pr = progress.get(peer);
        if (role != Role.LEADER || pr == null) {
            return;
        }
        pr.fetchPending = false;
        appendsPending = true;
        if (pr.state == Progress.State.SNAPSHOT || pr.nextIndex != fromIndex || log.term(fromIndex - 1) < 0) {
            return; // the follower moved on meanwhile; the next round decides again
        }
        int valid = 0;
        for (Entry e : entries) {
            if (e.index() != fromIndex + valid || log.term(e.index()) != e.term()) {
                break;
            }
            valid++;
        }
        if (valid == 0) {
            onFetchFailed(peer); // storage no longer has them (or never had): retry paced, or snapshot
            return;
        }
        if (pr.state == Progress.State.PROBE) {
            pr.probeSent = false;
        }
        if (!pr.canSend()) {
            return;
        }
        List<Entry> batch = valid == entries.size() ? entries : entries.subList(0, valid);
        send(new AppendRequest(id, pr.nodeId, term, fromIndex - 1, log.term(fromIndex - 1), List.copyOf(batch),
                commitIndex));
        pr.sent(fromIndex - 1 + valid);
    }

    /** A {@link Ready.Fetch} for {@code peer} failed; the follower is probed again after the next heartbeat. */
    public void onFetchFailed(int peer) {
        Progress pr = progress.get(peer);
        if (role != Role.LEADER || pr == null) {
            return;
        }
        pr.fetchPending = false;
        if (pr.state != Progress.State.SNAPSHOT) {
            pr.becomeProbe(pr.matchIndex + 1);
            pr.probeSent = true; // paced: cleared by the next heartbeat answer
        }
    }

    /**
     * This node's own snapshot through {@code meta.index()} is durable: entries before it (less a
     * trailing window for followers that are a little behind) are dropped from memory.
     */
    public void onSnapshotTaken(SnapshotMeta meta) {
        Invariants.check(meta.index() <= appliedIndex, "snapshot at " + meta.index() + " beyond applied "
                + appliedIndex, id, term, meta.index());
        if (meta.index() <= latestSnapshot.index()) {
            return; // a newer one was installed from the leader meanwhile
        }
        Invariants.check(meta.index() < log.firstIndex() || log.term(meta.index()) == meta.term(),
                "snapshot term differs from the log's", id, term, meta.index());
        latestSnapshot = meta;
        durableIndex = Math.max(durableIndex, Math.min(meta.index(), log.lastIndex()));
        long compactTo = Math.min(meta.index() - config.snapshotTrailingEntries(), unwrittenFromIndex - 1);
        // Keep what live followers still need: a follower receiving a snapshot continues from its index,
        // one that is merely behind from its match point. (A follower that stays silent is not waited for:
        // it will get a snapshot.)
        for (Progress pr : progress.values()) {
            if (pr.state == Progress.State.SNAPSHOT) {
                compactTo = Math.min(compactTo, pr.snapshotIndex);
            } else if (pr.recentActive) {
                compactTo = Math.min(compactTo, pr.matchIndex);
            }
        }
        if (compactTo > log.compactedIndex()) {
            log.compactTo(compactTo);
        }
    }

    /** Handles a message from a peer. */
    public void step(Message m) {
        Invariants.require(m.to() == id, "message for node " + m.to() + " delivered to " + id);
        if (m.term() > term) {
            if (m instanceof VoteRequest vr) {
                if (inLeaderLease()) {
                    // We heard from a live leader within the election timeout: a node that cannot see it
                    // must not depose it (thesis §4.2.3). PreVotes get an explicit no.
                    if (vr.preVote()) {
                        send(new VoteResponse(id, vr.from(), term, true, false));
                    }
                    return;
                }
                if (!vr.preVote()) {
                    becomeFollower(m.term(), NO_NODE);
                }
            } else if (m instanceof VoteResponse vresp && vresp.preVote() && vresp.granted()) {
                // A granted PreVote carries the term we would campaign in; it does not move us there.
            } else {
                boolean fromLeader = m instanceof AppendRequest || m instanceof HeartbeatRequest
                        || m instanceof InstallSnapshot;
                becomeFollower(m.term(), fromLeader ? m.from() : NO_NODE);
            }
        } else if (m.term() < term) {
            if (m instanceof AppendRequest || m instanceof HeartbeatRequest || m instanceof InstallSnapshot) {
                // Tell the stale leader about the newer term so it steps down.
                send(new AppendResponse(id, m.from(), term, false, 0, -1, 0, 0));
            } else if (m instanceof VoteRequest vr && vr.preVote()) {
                send(new VoteResponse(id, vr.from(), term, true, false));
            }
            return;
        }

        if (m instanceof VoteRequest vr) {
            handleVoteRequest(vr);
        } else if (m instanceof VoteResponse vr) {
            handleVoteResponse(vr);
        } else if (m instanceof AppendRequest ar) {
            acceptLeader(ar.from());
            handleAppend(ar);
        } else if (m instanceof HeartbeatRequest hb) {
            acceptLeader(hb.from());
            handleHeartbeat(hb);
        } else if (m instanceof AppendResponse ar) {
            if (role == Role.LEADER) {
                handleAppendResponse(ar);
            }
        } else if (m instanceof HeartbeatResponse hr) {
            if (role == Role.LEADER) {
                handleHeartbeatResponse(hr);
            }
        } else if (m instanceof InstallSnapshot is) {
            acceptLeader(is.from());
            handleInstallSnapshot(is);
        } else if (m instanceof SnapshotResponse sr) {
            if (role == Role.LEADER) {
                handleSnapshotResponse(sr);
            }
        }
    }

    // ------------------------------------------------------------------ output

    public boolean hasReady() {
        return hardStateDirty || unwrittenFromIndex != Long.MAX_VALUE || !outbox.isEmpty()
                || canHandOutCommitted() || !readStates.isEmpty() || !failedReads.isEmpty()
                || snapshotToWrite != null || snapshotToRestore != null || !fetches.isEmpty() || !notices.isEmpty()
                || (role == Role.LEADER && (appendsPending || !readsToConfirm.isEmpty()));
    }

    /** Drains everything the driver must do now. See {@link Ready} for the order. */
    public Ready ready() {
        if (role == Role.LEADER) {
            startReadRound();
            if (appendsPending) {
                appendsPending = false;
                for (Progress pr : progress.values()) {
                    sendAppends(pr);
                }
            }
        }
        HardState hs = null;
        if (hardStateDirty) {
            // (the planted bug VOTE_NOT_PERSISTED writes the term but forgets the vote)
            hs = new HardState(term, config.bug(RaftConfig.Bug.VOTE_NOT_PERSISTED) ? NO_NODE : votedFor);
            hardStateDirty = false;
        }
        Ready.LogWrite write = null;
        if (snapshotToWrite != null) {
            // Entries appended after the snapshot (if any) go in the next ready's write.
            write = new Ready.LogWrite(nextWriteId++, snapshotToWrite, List.of());
            pendingWrites.addLast(new long[] {write.writeId(), write.firstIndex(), write.lastIndex()});
            snapshotToWrite = null;
        } else if (unwrittenFromIndex != Long.MAX_VALUE) {
            Invariants.check(unwrittenFromIndex <= log.lastIndex(), "truncation without new entries", id, term,
                    unwrittenFromIndex);
            List<Entry> entries = new ArrayList<>((int) (log.lastIndex() - unwrittenFromIndex + 1));
            for (long i = unwrittenFromIndex; i <= log.lastIndex(); i++) {
                entries.add(log.entry(i));
            }
            write = new Ready.LogWrite(nextWriteId++, entries);
            pendingWrites.addLast(new long[] {write.writeId(), write.firstIndex(), write.lastIndex()});
            unwrittenFromIndex = Long.MAX_VALUE;
        }
        List<Entry> committed = List.of();
        if (canHandOutCommitted()) {
            long upTo = Math.min(commitIndex, handedToApplyIndex + config.maxApplyBatchEntries());
            committed = new ArrayList<>((int) (upTo - handedToApplyIndex));
            for (long i = handedToApplyIndex + 1; i <= upTo; i++) {
                committed.add(log.entry(i));
            }
            handedToApplyIndex = upTo;
        }
        Snapshot restore = snapshotToRestore;
        snapshotToRestore = null;
        Ready r = new Ready(hs, write, drain(outbox), committed, drain(readStates), drain(failedReads),
                new Ready.SoftState(role, term, leaderId, commitIndex, appliedIndex), restore, drain(fetches), drain(notices));
        checkInvariants();
        return r;
    }

    private boolean canHandOutCommitted() {
        // Bound the apply stage's queue: at most two batches outstanding.
        return commitIndex > handedToApplyIndex
                && handedToApplyIndex - appliedIndex < 2L * config.maxApplyBatchEntries();
    }

    private static <T> List<T> drain(ArrayList<T> list) {
        if (list.isEmpty()) {
            return List.of();
        }
        List<T> copy = new ArrayList<>(list);
        list.clear();
        return copy;
    }

    // ------------------------------------------------------------------ elections

    /** Starts an election now, as if the election timer fired (scripted tests, leadership transfer). */
    public void startElection() {
        if (role != Role.LEADER) {
            campaign();
        }
    }

    private void campaign() {
        if (Arrays.binarySearch(voters, id) < 0) {
            return;
        }
        if (config.preVote()) {
            becomePreCandidate();
        } else {
            becomeCandidate();
        }
    }

    private void becomePreCandidate() {
        Invariants.check(role != Role.LEADER, "leader cannot pre-campaign", id, term, log.lastIndex());
        role = Role.PRE_CANDIDATE;
        leaderId = NO_NODE;
        votes.clear();
        votes.put(id, true);
        resetElectionTimer();
        if (!maybeWinElection()) {
            for (int peer : voters) {
                if (peer != id) {
                    send(new VoteRequest(id, peer, term + 1, true, log.lastIndex(), log.lastTerm()));
                }
            }
        }
    }

    private void becomeCandidate() {
        Invariants.check(role != Role.LEADER, "leader cannot campaign", id, term, log.lastIndex());
        setTerm(term + 1);
        votedFor = id;
        hardStateDirty = true;
        role = Role.CANDIDATE;
        leaderId = NO_NODE;
        votes.clear();
        votes.put(id, true);
        resetElectionTimer();
        if (!maybeWinElection()) {
            for (int peer : voters) {
                if (peer != id) {
                    send(new VoteRequest(id, peer, term, false, log.lastIndex(), log.lastTerm()));
                }
            }
        }
    }

    /** Counts votes; returns true if the round ended (won or lost). */
    private boolean maybeWinElection() {
        int granted = 0;
        int rejected = 0;
        for (boolean v : votes.values()) {
            if (v) {
                granted++;
            } else {
                rejected++;
            }
        }
        if (granted >= quorum()) {
            if (role == Role.PRE_CANDIDATE) {
                becomeCandidate();
            } else {
                becomeLeader();
            }
            return true;
        }
        if (rejected >= quorum()) {
            becomeFollower(term, NO_NODE);
            return true;
        }
        return false;
    }

    private void becomeLeader() {
        Invariants.check(role == Role.CANDIDATE && votedFor == id, "only a candidate that voted for itself leads",
                id, term, log.lastIndex());
        role = Role.LEADER;
        leaderId = id;
        progress.clear();
        for (int peer : voters) {
            if (peer != id) {
                progress.put(peer, new Progress(peer, log.lastIndex() + 1, config.maxInflightAppends()));
            }
        }
        heartbeatElapsedTicks = 0;
        electionElapsedTicks = 0;
        readSeq = 0;
        leaderFirstIndex = log.lastIndex() + 1;
        // A no-op of our own term lets earlier entries commit (Figure 8) and lets ReadIndex start.
        appendLocal(Entry.noop(term, leaderFirstIndex));
        appendsPending = true;
    }

    private void becomeFollower(long newTerm, int leader) {
        Invariants.check(newTerm >= term, "term went back from " + term + " to " + newTerm, id, term, log.lastIndex());
        if (newTerm > term) {
            setTerm(newTerm);
            votedFor = NO_NODE;
            hardStateDirty = true;
        }
        if (role == Role.LEADER) {
            failAllReads();
        }
        role = Role.FOLLOWER;
        leaderId = leader;
        progress.clear();
        verifiedIndex = 0;
        lastAckSentIndex = 0;
        receiving = null;
        receivingBytes = null;
        resetElectionTimer();
    }

    private void setTerm(long newTerm) {
        Invariants.check(newTerm > term, "term must only grow", id, term, log.lastIndex());
        term = newTerm;
    }

    private void acceptLeader(int from) {
        Invariants.check(role != Role.LEADER, "two leaders in term " + term + ": " + id + " and " + from, id, term,
                log.lastIndex());
        if (role != Role.FOLLOWER) {
            becomeFollower(term, from);
        }
        Invariants.check(leaderId == NO_NODE || leaderId == from, "two leaders in term " + term + ": " + leaderId
                + " and " + from, id, term, log.lastIndex());
        if (leaderId != from) {
            leaderId = from;
            verifiedIndex = 0;
            lastAckSentIndex = 0;
            // Another leader's snapshot at the same index may be serialized differently: start over.
            receiving = null;
            receivingBytes = null;
        }
        electionElapsedTicks = 0;
    }

    private void handleVoteRequest(VoteRequest m) {
        boolean canVote = votedFor == m.from()
                || (votedFor == NO_NODE && leaderId == NO_NODE)
                || (m.preVote() && m.term() > term);
        boolean grant = canVote && (config.bug(RaftConfig.Bug.VOTE_WITHOUT_LOG_CHECK)
                || log.isUpToDate(m.lastLogIndex(), m.lastLogTerm()));
        if (grant && !m.preVote()) {
            Invariants.check(votedFor == NO_NODE || votedFor == m.from(), "second vote in one term", id, term,
                    log.lastIndex());
            votedFor = m.from();
            hardStateDirty = true;
            electionElapsedTicks = 0;
        }
        send(new VoteResponse(id, m.from(), grant && m.preVote() ? m.term() : term, m.preVote(), grant));
    }

    private void handleVoteResponse(VoteResponse m) {
        boolean expected = (m.preVote() && role == Role.PRE_CANDIDATE) || (!m.preVote() && role == Role.CANDIDATE);
        if (!expected) {
            return;
        }
        votes.put(m.from(), m.granted());
        maybeWinElection();
    }

    private boolean inLeaderLease() {
        return config.checkQuorum() && leaderId != NO_NODE && electionElapsedTicks < config.electionTimeoutTicks();
    }

    private void resetElectionTimer() {
        electionElapsedTicks = 0;
        randomizedElectionTimeoutTicks = config.electionTimeoutTicks() + random.nextInt(config.electionTimeoutTicks());
    }

    // ------------------------------------------------------------------ replication: follower side

    private void handleAppend(AppendRequest m) {
        long compacted = log.compactedIndex();
        if (m.prevLogIndex() < compacted) {
            // Entries through the compacted index were applied here, so they are committed and match the
            // leader's (Leader Completeness): skip them and check the rest against our snapshot point.
            verifiedIndex = Math.max(verifiedIndex, compacted);
            if (m.lastIndex() <= compacted) {
                long ack = Math.min(durableIndex, verifiedIndex);
                lastAckSentIndex = Math.max(lastAckSentIndex, ack);
                send(new AppendResponse(id, m.from(), term, true, ack, 0, 0, 0));
                return;
            }
            int skip = (int) (compacted - m.prevLogIndex());
            m = new AppendRequest(m.from(), m.to(), m.term(), compacted, log.term(compacted),
                    m.entries().subList(skip, m.entries().size()), m.leaderCommit());
        }
        if (!log.matches(m.prevLogIndex(), m.prevLogTerm())) {
            // Fast back-off: point the leader at the last entry that can possibly match.
            long hint = Math.min(m.prevLogIndex(), log.lastIndex());
            while (hint > log.firstIndex() - 1 && log.term(hint) > m.prevLogTerm()) {
                hint--;
            }
            send(new AppendResponse(id, m.from(), term, false, 0, m.prevLogIndex(), hint, log.term(hint)));
            return;
        }
        for (Entry e : m.entries()) {
            if (e.index() <= log.lastIndex()) {
                if (log.term(e.index()) == e.term()) {
                    Invariants.check(!log.isCached(e.index()) || log.entry(e.index()).equals(e),
                            "log matching: same index and term, "
                            + "different entry", id, term, e.index());
                    continue;
                }
                if (config.bug(RaftConfig.Bug.NO_TRUNCATE_ON_CONFLICT)) {
                    continue; // planted bug: keep our conflicting entry
                }
                Invariants.check(e.index() > commitIndex, "truncating committed entry " + e.index()
                        + " (commit " + commitIndex + ")", id, term, e.index());
                log.truncateFrom(e.index());
                durableIndex = Math.min(durableIndex, e.index() - 1);
            }
            appendLocal(e);
        }
        verifiedIndex = Math.max(verifiedIndex, m.lastIndex());
        advanceCommit(Math.min(m.leaderCommit(), verifiedIndex));
        long ack = config.bug(RaftConfig.Bug.ACK_BEFORE_DURABLE) ? verifiedIndex : Math.min(durableIndex, verifiedIndex);
        // Answer now if everything in the request is durable, or if the leader has not yet heard of a
        // durable prefix (a new leader learns the match point in one round trip). Otherwise the ack
        // goes out when the write completes (maybeAck).
        if (ack >= m.lastIndex() || ack > lastAckSentIndex) {
            lastAckSentIndex = Math.max(lastAckSentIndex, ack);
            send(new AppendResponse(id, m.from(), term, true, ack, 0, 0, 0));
        }
    }

    private void handleInstallSnapshot(InstallSnapshot m) {
        if (m.snapshotIndex() <= commitIndex) {
            // Everything in it is committed here already (and matches the leader's log). Say so, and ack
            // what is durable so the leader moves on to plain appends.
            verifiedIndex = Math.max(verifiedIndex, commitIndex);
            send(new SnapshotResponse(id, m.from(), term, m.snapshotIndex(), m.totalBytes()));
            long ack = Math.min(durableIndex, verifiedIndex);
            lastAckSentIndex = Math.max(lastAckSentIndex, ack);
            send(new AppendResponse(id, m.from(), term, true, ack, 0, 0, 0));
            return;
        }
        boolean same = receiving != null && receiving.index() == m.snapshotIndex() && receiving.term() == m.snapshotTerm()
                && receiving.sizeBytes() == m.totalBytes();
        if (m.offset() == 0 && !same) {
            Invariants.require(m.totalBytes() >= 0 && m.totalBytes() <= Snapshot.MAX_BYTES,
                    "snapshot of " + m.totalBytes() + " bytes from node " + m.from());
            receiving = new SnapshotMeta(m.snapshotIndex(), m.snapshotTerm(), m.totalBytes());
            receivingBytes = new byte[(int) m.totalBytes()];
            receivedBytes = 0;
            same = true;
        }
        if (!same || m.offset() != receivedBytes) {
            send(new SnapshotResponse(id, m.from(), term, m.snapshotIndex(), same ? receivedBytes : 0));
            return;
        }
        Invariants.require(m.data() != null && m.data().length == m.length() && m.offset() + m.length() <= m.totalBytes(),
                "malformed snapshot chunk from node " + m.from());
        System.arraycopy(m.data(), 0, receivingBytes, (int) m.offset(), m.length());
        receivedBytes += m.length();
        send(new SnapshotResponse(id, m.from(), term, m.snapshotIndex(), receivedBytes));
        if (receivedBytes == m.totalBytes()) {
            Snapshot snap = new Snapshot(receiving.index(), receiving.term(), receivingBytes);
            receiving = null;
            receivingBytes = null;
            installSnapshot(snap);
        }
    }

    /** Replaces the log and the state machine's state with a snapshot from the leader (beyond our commit). */
    private void installSnapshot(Snapshot snap) {
        Invariants.check(snap.index() > commitIndex, "installing a snapshot at or below commit", id, term, snap.index());
        verifiedIndex = Math.max(verifiedIndex, snap.index());
        if (log.term(snap.index()) == snap.term()) {
            // We hold that entry, hence (log matching) everything before it: just commit up to it.
            advanceCommit(snap.index());
            maybeAck();
            return;
        }
        long oldCommit = commitIndex;
        log.resetTo(snap.index(), snap.term());
        unwrittenFromIndex = Long.MAX_VALUE;
        // Writes still in flight may hold entries past our old commit that the snapshot replaces: they
        // no longer count as durable log. What is at or below the old commit matches the leader's.
        for (long[] w : pendingWrites) {
            w[2] = Math.min(w[2], oldCommit);
        }
        durableIndex = Math.min(durableIndex, oldCommit);
        lastAckSentIndex = Math.min(lastAckSentIndex, oldCommit);
        commitIndex = snap.index();
        handedToApplyIndex = snap.index();
        latestSnapshot = SnapshotMeta.of(snap);
        snapshotToWrite = snap;
        snapshotToRestore = snap;
    }

    /** Acknowledges newly durable entries to the leader (a follower never acks what it could lose). */
    private void maybeAck() {
        if (role != Role.FOLLOWER || leaderId == NO_NODE) {
            return;
        }
        long ack = config.bug(RaftConfig.Bug.ACK_BEFORE_DURABLE) ? verifiedIndex : Math.min(durableIndex, verifiedIndex);
        if (ack > lastAckSentIndex) {
            lastAckSentIndex = ack;
            send(new AppendResponse(id, leaderId, term, true, ack, 0, 0, 0));
        }
    }

    private void handleHeartbeat(HeartbeatRequest m) {
        advanceCommit(Math.min(m.commitIndex(), log.lastIndex()));
        send(new HeartbeatResponse(id, m.from(), term, m.readSeq(), log.lastIndex()));
    }

    private void advanceCommit(long index) {
        if (index > commitIndex) {
            Invariants.check(index <= log.lastIndex(), "commit beyond log end " + log.lastIndex(), id, term, index);
            commitIndex = index;
        }
    }

    private void appendLocal(Entry e) {
        log.append(e);
        unwrittenFromIndex = Math.min(unwrittenFromIndex, e.index());
    }

    // ------------------------------------------------------------------ replication: leader side

    private void tickLeader() {
        heartbeatElapsedTicks++;
        electionElapsedTicks++;
        if (electionElapsedTicks >= config.electionTimeoutTicks()) {
            electionElapsedTicks = 0;
            if (config.checkQuorum()) {
                int active = 1;
                for (Progress pr : progress.values()) {
                    if (pr.recentActive) {
                        active++;
                    }
                    pr.recentActive = false;
                }
                if (active < quorum()) {
                    becomeFollower(term, NO_NODE);
                    return;
                }
            }
        }
        for (Progress pr : progress.values()) {
            if (pr.state == Progress.State.REPLICATE && !pr.inflightLastIndexes.isEmpty()
                    && ++pr.ticksWithoutProgress >= config.electionTimeoutTicks()) {
                // Appends were lost (or the follower restarted): fall back to probing from the match point.
                pr.becomeProbe(pr.matchIndex + 1);
                appendsPending = true;
            } else if (pr.state == Progress.State.SNAPSHOT
                    && ++pr.ticksWithoutProgress >= config.electionTimeoutTicks()) {
                // A chunk or its answer was lost: send it again; if all was sent, probe to learn the outcome.
                pr.ticksWithoutProgress = 0;
                if (pr.snapshotOffset >= pr.snapshotBytes) {
                    pr.becomeProbe(pr.matchIndex + 1);
                } else {
                    pr.chunkInFlight = false;
                }
                appendsPending = true;
            }
        }
        if (heartbeatElapsedTicks >= config.heartbeatIntervalTicks()) {
            heartbeatElapsedTicks = 0;
            broadcastHeartbeat();
        }
    }

    private void broadcastHeartbeat() {
        for (Progress pr : progress.values()) {
            send(new HeartbeatRequest(id, pr.nodeId, term, Math.min(commitIndex, pr.matchIndex), readSeq));
        }
    }

    private void sendAppends(Progress pr) {
        if (pr.state == Progress.State.SNAPSHOT) {
            if (!pr.chunkInFlight && pr.snapshotOffset < pr.snapshotBytes) {
                sendSnapshotChunk(pr);
            }
            return;
        }
        if (pr.state == Progress.State.PROBE) {
            boolean needed = pr.nextIndex <= log.lastIndex() || pr.matchIndex < log.lastIndex() || pr.probeRequired;
            if (!pr.probeSent && !pr.fetchPending && needed) {
                sendAppend(pr);
            }
            return;
        }
        // Pipelining: keep up to maxInflightAppends batches in flight, nextIndex advancing optimistically.
        int bound = config.maxInflightAppends();
        while (pr.canSend() && pr.nextIndex <= log.lastIndex() && bound-- > 0) {
            sendAppend(pr);
        }
    }

    private void sendAppend(Progress pr) {
        long prev = pr.nextIndex - 1;
        long prevTerm = log.term(prev);
        if (prev < log.compactedIndex()) {
            // The follower needs entries we no longer hold: send our snapshot instead.
            Invariants.check(latestSnapshot.index() >= log.compactedIndex(), "log compacted past the latest snapshot",
                    id, term, prev);
            pr.becomeSnapshot(latestSnapshot.index(), latestSnapshot.term(), latestSnapshot.sizeBytes());
            sendSnapshotChunk(pr);
            return;
        }
        Invariants.check(prevTerm >= 0, "no term for prevLogIndex " + prev, id, term, prev);
        if (pr.nextIndex <= log.lastIndex() && !log.isCached(pr.nextIndex)) {
            // Evicted from memory: read back from storage (rare: a follower far behind), then sent.
            pr.fetchPending = true;
            if (pr.state == Progress.State.PROBE) {
                pr.probeSent = true;
            }
            fetches.add(new Ready.Fetch(pr.nodeId, pr.nextIndex, config.maxBatchEntries() * 8,
                    (long) config.maxBatchBytes() * 8, log.termLookup()));
            return;
        }
        List<Entry> entries = log.slice(pr.nextIndex, config.maxBatchEntries(), config.maxBatchBytes());
        send(new AppendRequest(id, pr.nodeId, term, prev, prevTerm, entries, commitIndex));
        pr.sent(prev + entries.size());
    }

    private void sendSnapshotChunk(Progress pr) {
        int length = (int) Math.min(config.maxSnapshotChunkBytes(), pr.snapshotBytes - pr.snapshotOffset);
        send(new InstallSnapshot(id, pr.nodeId, term, pr.snapshotIndex, pr.snapshotTerm, pr.snapshotBytes,
                pr.snapshotOffset, length, null));
        pr.chunkInFlight = true;
        pr.ticksWithoutProgress = 0;
    }

    private void handleSnapshotResponse(SnapshotResponse m) {
        Progress pr = progress.get(m.from());
        if (pr == null) {
            return;
        }
        pr.recentActive = true;
        if (pr.state != Progress.State.SNAPSHOT || m.snapshotIndex() != pr.snapshotIndex) {
            return; // about an earlier transfer
        }
        pr.chunkInFlight = false;
        pr.ticksWithoutProgress = 0;
        pr.snapshotOffset = Math.max(0, Math.min(m.nextOffset(), pr.snapshotBytes));
        if (pr.snapshotOffset < pr.snapshotBytes) {
            appendsPending = true;
        }
    }

    private void handleAppendResponse(AppendResponse m) {
        Progress pr = progress.get(m.from());
        if (pr == null) {
            return;
        }
        pr.recentActive = true;
        pr.probeRequired = false;
        if (m.success()) {
            Invariants.check(m.matchIndex() <= log.lastIndex(), "follower " + m.from() + " acked beyond our log",
                    id, term, m.matchIndex());
            pr.acked(m.matchIndex());
            maybeCommit();
            appendsPending = true;
            return;
        }
        if (pr.state == Progress.State.SNAPSHOT) {
            return; // the snapshot transfer decides where this follower resumes
        }
        boolean stale = pr.state == Progress.State.REPLICATE
                ? m.rejectedPrevIndex() <= pr.matchIndex
                : m.rejectedPrevIndex() != pr.nextIndex - 1;
        if (stale || m.rejectedPrevIndex() < 0) {
            return;
        }
        if (m.rejectedPrevIndex() <= pr.matchIndex) {
            // The follower refuses an index it acknowledged: it no longer holds log it once made durable (its
            // data dir was replaced, or the tail of its log was cut). The match index recorded for it is no
            // longer true, so it must not count towards commits at it; find the point of agreement again.
            // Lowering a match index is always safe (commit never moves back; it only waits for fresh acks).
            notices.add("follower " + m.from() + " lost log it had acknowledged: it rejects index "
                    + m.rejectedPrevIndex() + " (acknowledged through " + pr.matchIndex + "), its log ends at "
                    + m.hintIndex() + "; repairing it");
            pr.matchIndex = 0;
        }
        // Skip back to the last index whose term could match the follower's hint.
        long next = Math.min(m.hintIndex(), log.lastIndex());
        while (next > pr.matchIndex && log.term(next) > m.hintTerm()) {
            next--;
        }
        long newNext = Math.max(pr.matchIndex + 1, next + 1);
        if (pr.state == Progress.State.PROBE && newNext == pr.nextIndex) {
            // The same probe again: wait for the next heartbeat answer rather than spin.
            return;
        }
        pr.becomeProbe(newNext);
        appendsPending = true;
    }

    private void handleHeartbeatResponse(HeartbeatResponse m) {
        Progress pr = progress.get(m.from());
        if (pr == null) {
            return;
        }
        pr.recentActive = true;
        pr.readSeqAcked = Math.max(pr.readSeqAcked, m.readSeq());
        if (pr.state == Progress.State.PROBE) {
            pr.probeSent = false;
        }
        if (m.lastLogIndex() < pr.matchIndex && pr.state != Progress.State.SNAPSHOT) {
            // The follower holds less than it acknowledged: it lost log (or this answer is old). Probe at the
            // match point; a rejection there is the evidence that repairs it, an ack costs one message.
            pr.becomeProbe(pr.matchIndex + 1);
            pr.probeRequired = true;
        }
        if (pr.matchIndex < log.lastIndex() || pr.probeRequired) {
            appendsPending = true;
        }
        releaseConfirmedReads();
    }

    /** Commits the highest index durable on a quorum, if it is of the current term (Figure 8). */
    private void maybeCommit() {
        long[] matches = new long[voters.length];
        int i = 0;
        for (int v : voters) {
            matches[i++] = v == id ? (config.bug(RaftConfig.Bug.LEADER_COUNTS_UNDURABLE_SELF) ? log.lastIndex() : durableIndex)
                    : progress.get(v).matchIndex;
        }
        Arrays.sort(matches);
        long quorumIndex = matches[voters.length - quorum()];
        if (quorumIndex > commitIndex && (log.term(quorumIndex) == term || config.bug(RaftConfig.Bug.COMMIT_BY_COUNTING))) {
            advanceCommit(quorumIndex);
            appendsPending = true; // followers learn the new commit index with the next append
            if (committedInOwnTerm()) {
                while (!readsAwaitingOwnTermCommit.isEmpty()) {
                    readsToConfirm.add(new long[] {readsAwaitingOwnTermCommit.pollFirst(), commitIndex});
                }
            }
        }
    }

    private boolean committedInOwnTerm() {
        return role == Role.LEADER && commitIndex >= leaderFirstIndex;
    }

    // ------------------------------------------------------------------ ReadIndex

    /** Confirms leadership for all reads queued since the last round with one heartbeat broadcast. */
    private void startReadRound() {
        if (readsToConfirm.isEmpty()) {
            return;
        }
        readSeq++;
        for (long[] r : readsToConfirm) {
            readsAwaitingQuorum.addLast(new long[] {r[0], r[1], readSeq});
        }
        readsToConfirm.clear();
        if (voters.length == 1 || config.bug(RaftConfig.Bug.READ_INDEX_WITHOUT_QUORUM)) {
            releaseConfirmedReads();
            return;
        }
        broadcastHeartbeat();
    }

    private void releaseConfirmedReads() {
        long[] acked = new long[voters.length];
        int i = 0;
        for (int v : voters) {
            acked[i++] = v == id ? readSeq : progress.get(v).readSeqAcked;
        }
        Arrays.sort(acked);
        long confirmedSeq = config.bug(RaftConfig.Bug.READ_INDEX_WITHOUT_QUORUM) ? readSeq : acked[voters.length - quorum()];
        while (!readsAwaitingQuorum.isEmpty() && readsAwaitingQuorum.peekFirst()[2] <= confirmedSeq) {
            long[] r = readsAwaitingQuorum.pollFirst();
            readStates.add(new Ready.ReadState(r[0], r[1]));
        }
    }

    private void failAllReads() {
        readsAwaitingOwnTermCommit.forEach(failedReads::add);
        readsToConfirm.forEach(r -> failedReads.add(r[0]));
        readsAwaitingQuorum.forEach(r -> failedReads.add(r[0]));
        readsAwaitingOwnTermCommit.clear();
        readsToConfirm.clear();
        readsAwaitingQuorum.clear();
    }

    // ------------------------------------------------------------------ helpers

    private int quorum() {
        return voters.length / 2 + 1;
    }

    private void send(Message m) {
        outbox.add(m);
    }

    private void checkInvariants() {
        Invariants.check(appliedIndex <= handedToApplyIndex && handedToApplyIndex <= commitIndex,
                "applied <= handed out <= committed: " + appliedIndex + " " + handedToApplyIndex + " " + commitIndex,
                id, term, commitIndex);
        Invariants.check(commitIndex <= log.lastIndex(), "commit within log", id, term, commitIndex);
        Invariants.check(durableIndex <= log.lastIndex(), "durable within log", id, term, durableIndex);
        Invariants.check(log.lastTerm() <= term, "no entry from a future term", id, term, log.lastIndex());
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

    public long appliedIndex() {
        return appliedIndex;
    }

    public long durableIndex() {
        return durableIndex;
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

    public List<Integer> voters() {
        return Arrays.stream(voters).boxed().toList();
    }

    public RaftConfig config() {
        return config;
    }

    /** The leader's view of each follower (for diagnostics); empty on a follower. */
    public String describeProgress() {
        return progress.values().toString();
    }

    @Override
    public String toString() {
        return "RaftCore{id=" + id + " " + role + " term=" + term + " leader=" + leaderId + " last=" + log.lastIndex()
                + " durable=" + durableIndex + " commit=" + commitIndex + " applied=" + appliedIndex + "}";
    }
}
