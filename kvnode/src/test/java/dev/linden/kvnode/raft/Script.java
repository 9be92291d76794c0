package dev.linden.kvnode.raft;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * A hand-stepped cluster of cores for scenario tests that read like scripts (every input through the one
 * input path, {@link RaftCore#step(Input)}): start an election,
 * deliver messages, make writes durable, cut and heal links. No threads, no time, no randomness
 * beyond the seeded election jitter.
 */
final class Script {
    final TreeMap<Integer, RaftCore> cores = new TreeMap<>();
    final TreeMap<Integer, List<Entry>> durableLogs = new TreeMap<>();
    final TreeMap<Integer, HardState> hardStates = new TreeMap<>();
    final TreeMap<Integer, ArrayDeque<Ready.LogWrite>> unsynced = new TreeMap<>();
    final TreeMap<Integer, List<Entry>> applied = new TreeMap<>();
    final TreeMap<Integer, List<Ready.ReadState>> readStates = new TreeMap<>();
    /** Each node's durable snapshot, if any: its bytes are the applied commands through its index, comma-joined. */
    final TreeMap<Integer, Snapshot> snapshots = new TreeMap<>();
    /** The commands a node's state machine holds from a snapshot it restored (before {@link #applied}). */
    final TreeMap<Integer, List<String>> restored = new TreeMap<>();

    final RaftConfig config;
    /** The configuration each node was started with (the initial voters; empty for a node that joined). */
    final TreeMap<Integer, Membership> bootstrap = new TreeMap<>();
    /** The configuration each node's state machine side last applied (what a snapshot of it records). */
    final TreeMap<Integer, Membership> appliedMembership = new TreeMap<>();

    final TreeMap<Integer, List<Long>> failedReads = new TreeMap<>();
    final ArrayDeque<Message> inFlight = new ArrayDeque<>();
    final List<Message> sentLog = new ArrayList<>();
    final Set<Integer> isolated = new HashSet<>();
    final Set<Long> cutLinks = new HashSet<>();
    /** When non-null, every Ready handled and every message delivered is described here (golden traces). */
    List<String> trace;

    /** If true, log writes become durable as soon as they are issued (except on manualSync nodes). */
    boolean autoSync = true;

    final Set<Integer> manualSync = new HashSet<>();

    Script(int n, RaftConfig config) {
        this.config = config;
        List<Integer> ids = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            ids.add(i);
        }
        for (int id : ids) {
            start(id, Membership.ofVoters(ids));
        }
    }

    /** A new node, empty, with {@code base} as its bootstrap configuration ({@link Membership#EMPTY} to join). */
    Script start(int id, Membership base) {
        durableLogs.put(id, new ArrayList<>());
        hardStates.put(id, HardState.INITIAL);
        unsynced.put(id, new ArrayDeque<>());
        applied.put(id, new ArrayList<>());
        readStates.put(id, new ArrayList<>());
        failedReads.put(id, new ArrayList<>());
        restored.put(id, new ArrayList<>());
        bootstrap.put(id, base);
        appliedMembership.put(id, base);
        cores.put(
                id,
                new RaftCore(
                        id, base, config, RandomSource.seeded(id), HardState.INITIAL, SnapshotMeta.NONE, List.of()));
        return this;
    }

    static Script of(int n) {
        return new Script(n, RaftConfig.defaults());
    }

    RaftCore node(int id) {
        return cores.get(id);
    }

    Script campaign(int id) {
        node(id).step(new Input.Campaign());
        collect(id);
        return this;
    }

    Script propose(int id, String command) {
        long index = node(id).step(new Input.Propose(command.getBytes()));
        if (index < 0) {
            throw new AssertionError("node " + id + " refused proposal: " + index);
        }
        collect(id);
        return this;
    }

    Script isolate(int id) {
        isolated.add(id);
        return this;
    }

    Script cut(int a, int b) {
        cutLinks.add(link(a, b));
        cutLinks.add(link(b, a));
        return this;
    }

    Script heal() {
        isolated.clear();
        cutLinks.clear();
        return this;
    }

    private static long link(int from, int to) {
        return ((long) from << 32) | to;
    }

    boolean reachable(Message m) {
        return !isolated.contains(m.from()) && !isolated.contains(m.to()) && !cutLinks.contains(link(m.from(), m.to()));
    }

    /** Drains a node's ready: persists, queues messages, applies committed entries. */
    void collect(int id) {
        RaftCore core = node(id);
        int bound = 1000;
        while (core.hasReady() && bound-- > 0) {
            Ready r = core.ready();
            if (trace != null) {
                Trace.ready(trace, id, r);
            }
            if (r.hardState() != null) {
                hardStates.put(id, r.hardState());
            }
            if (r.logWrite() != null) {
                unsynced.get(id).addLast(r.logWrite());
            }
            for (Message m : r.messages()) {
                sentLog.add(m);
                inFlight.addLast(m);
            }
            if (r.restore() != null) {
                // The apply stage loads the snapshot before any later committed batch.
                restored.put(id, commandsOf(r.restore()));
                appliedMembership.put(id, SnapshotPayload.membership(r.restore().data(), bootstrap.get(id)));
                applied.put(id, new ArrayList<>());
                core.step(new Input.Applied(r.restore().index()));
            }
            for (Ready.Fetch f : r.fetches()) {
                serveFetch(id, f);
            }
            if (!r.committed().isEmpty()) {
                applied.get(id).addAll(r.committed());
                r.committed().stream()
                        .filter(e -> e.kind() == Entry.Kind.CONFIG)
                        .forEach(e -> appliedMembership.put(id, Membership.decode(e.command())));
                core.step(new Input.Applied(
                        r.committed().get(r.committed().size() - 1).index()));
            }
            readStates.get(id).addAll(r.readStates());
            failedReads.get(id).addAll(r.failedReads());
            if (autoSync && !manualSync.contains(id)) {
                sync(id);
            }
        }
    }

    /** Makes every issued write of a node durable. */
    Script sync(int id) {
        ArrayDeque<Ready.LogWrite> q = unsynced.get(id);
        while (!q.isEmpty()) {
            Ready.LogWrite w = q.pollFirst();
            List<Entry> log = durableLogs.get(id);
            if (w.snapshot() != null) {
                log.clear(); // a snapshot from the leader replaces the whole stored log
                snapshots.put(id, w.snapshot());
            }
            log.removeIf(e -> e.index() >= w.firstIndex());
            log.addAll(w.entries());
            node(id).step(new Input.LogWritten(w.writeId()));
        }
        collect(id);
        return this;
    }

    /** Delivers queued messages matching {@code filter} (one pass, in order); others stay queued. */
    Script deliver(Predicate<Message> filter) {
        int n = inFlight.size();
        for (int i = 0; i < n; i++) {
            Message m = inFlight.pollFirst();
            if (!filter.test(m)) {
                inFlight.addLast(m);
                continue;
            }
            if (reachable(m)) {
                if (m instanceof Message.InstallSnapshot is && is.data() == null) {
                    m = withChunk(is); // the driver fills a chunk from the sender's snapshot file
                }
                if (trace != null) {
                    trace.add("deliver " + Trace.message(m));
                }
                node(m.to()).step(new Input.Receive(m));
                collect(m.to());
            }
        }
        return this;
    }

    /** Drops queued messages matching {@code filter}. */
    Script drop(Predicate<Message> filter) {
        inFlight.removeIf(filter);
        return this;
    }

    /** Delivers messages until none are left (unreachable ones are dropped). */
    Script stabilize() {
        for (int round = 0; round < 10_000 && !inFlight.isEmpty(); round++) {
            deliver(m -> true);
        }
        if (!inFlight.isEmpty()) {
            throw new AssertionError("cluster did not stabilize");
        }
        return this;
    }

    /**
     * Lets the given nodes forget the current leader (their lease runs out) without campaigning
     * themselves: they tick one election timeout and what they send meanwhile is dropped.
     */
    Script expireLease(int... ids) {
        for (int id : ids) {
            for (int i = 0; i < node(id).config().electionTimeoutTicks(); i++) {
                node(id).step(new Input.Tick());
                collect(id);
            }
            inFlight.removeIf(m -> m.from() == id);
        }
        return this;
    }

    Script tick(int id, int ticks) {
        for (int i = 0; i < ticks; i++) {
            node(id).step(new Input.Tick());
            collect(id);
        }
        return this;
    }

    Script tickAll(int ticks) {
        for (int i = 0; i < ticks; i++) {
            for (int id : cores.keySet()) {
                node(id).step(new Input.Tick());
                collect(id);
            }
        }
        return this;
    }

    /** Restarts a node from what it made durable: its snapshot (loaded by the state machine) and the log after it. */
    Script restart(int id, RaftConfig config) {
        unsynced.get(id).clear();
        applied.put(id, new ArrayList<>());
        Snapshot snap = snapshots.get(id);
        restored.put(id, snap == null ? new ArrayList<>() : commandsOf(snap));
        long after = snap == null ? 0 : snap.index();
        List<Entry> log =
                durableLogs.get(id).stream().filter(e -> e.index() > after).toList();
        Membership base = snap == null ? bootstrap.get(id) : SnapshotPayload.membership(snap.data(), bootstrap.get(id));
        appliedMembership.put(id, base);
        cores.put(
                id,
                new RaftCore(
                        id,
                        base,
                        config,
                        RandomSource.seeded(id * 31L),
                        hardStates.get(id),
                        SnapshotMeta.of(snap),
                        log));
        return this;
    }

    /**
     * The node's state machine snapshots everything it applied; the snapshot is durable at once and the core
     * told so (it then compacts its log).
     */
    Script snapshot(int id) {
        RaftCore core = node(id);
        long index = core.appliedIndex();
        byte[] data = SnapshotPayload.frame(
                appliedMembership.get(id), String.join(",", appliedCommands(id)).getBytes(StandardCharsets.UTF_8));
        Snapshot snap = new Snapshot(index, core.termAt(index), data);
        snapshots.put(id, snap);
        if (trace != null) {
            trace.add(id + ": snapshot " + index + "@" + snap.term() + " " + data.length + "B first="
                    + core.firstIndex());
        }
        core.step(new Input.SnapshotTaken(SnapshotMeta.of(snap)));
        if (trace != null) {
            trace.add(id + ": compacted first=" + core.firstIndex() + " cached-from=" + core.cacheFirstIndex());
        }
        collect(id);
        return this;
    }

    private Message withChunk(Message.InstallSnapshot m) {
        Snapshot snap = snapshots.get(m.from());
        if (snap == null || snap.index() != m.snapshotIndex()) {
            throw new AssertionError("node " + m.from() + " sent a chunk of a snapshot it does not hold: " + m);
        }
        return m.withData(Arrays.copyOfRange(snap.data(), (int) m.offset(), (int) m.offset() + m.length()));
    }

    /** Reads evicted entries back from the leader's durable log, as a log store does. */
    private void serveFetch(int id, Ready.Fetch f) {
        List<Entry> found = new ArrayList<>();
        for (Entry e : durableLogs.get(id)) {
            if (e.index() >= f.fromIndex() && found.size() < f.maxEntries()) {
                found.add(e);
            }
        }
        if (trace != null) {
            trace.add(id + ": fetch for " + f.peer() + " from " + f.fromIndex() + ": " + found.size() + " entries");
        }
        if (found.isEmpty()) {
            node(id).step(new Input.FetchFailed(f.peer()));
        } else {
            node(id).step(new Input.EntriesFetched(f.peer(), f.fromIndex(), found));
        }
    }

    private static List<String> commandsOf(Snapshot snap) {
        String s = new String(SnapshotPayload.state(snap.data()), StandardCharsets.UTF_8);
        return s.isEmpty() ? new ArrayList<>() : new ArrayList<>(List.of(s.split(",")));
    }

    List<String> appliedCommands(int id) {
        List<String> out = new ArrayList<>(restored.get(id));
        for (Entry e : applied.get(id)) {
            if (e.kind() == Entry.Kind.COMMAND) {
                out.add(new String(e.command()));
            }
        }
        return out;
    }

    static Predicate<Message> to(int id) {
        return m -> m.to() == id;
    }

    static Predicate<Message> from(int id) {
        return m -> m.from() == id;
    }
}
