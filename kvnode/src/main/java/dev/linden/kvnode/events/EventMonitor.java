package dev.linden.kvnode.events;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Raft's safety properties judged from the nodes' event streams alone ({@link NodeEvent}), so one
 * implementation serves the simulator (fed as its nodes run) and real processes (fed from their
 * {@code events.jsonl} after, or during, a run). Checked:
 * <ul>
 *   <li>election safety: one leader per term;</li>
 *   <li>one vote per term: a node grants its vote in a term to one candidate, across restarts, and only
 *       once that vote is durable (its hard state saved, or recovered at start); a candidate campaigns only
 *       once its vote for itself is durable;</li>
 *   <li>the commit rule: a leader advances its commit index only to an entry of its own term (Figure 8);</li>
 *   <li>commit indexes never move back within a node's life, and each node applies indexes in order;</li>
 *   <li>the committed prefix never changes, and every node applies the same entry at each index;</li>
 *   <li>leader completeness, by the log each new leader announces ({@link CommittedLog});</li>
 *   <li>snapshots agree: every snapshot taken or restored at one index holds the same state digest;</li>
 *   <li>one membership change at a time: a leader puts a new configuration in force only once the one
 *       before it is committed;</li>
 *   <li>lost log reported: a node whose WAL records the world destroyed while it was down ({@link
 *       #walRecordsLost}: the nemesis cut its tail or deleted its segments) reports lost log when it next starts,
 *       or it would vote with less log than it may have acknowledged;</li>
 *   <li>acknowledgements are durable: a node a leader counted as holding an index toward a commit still holds
 *       it when it starts again, unless its disk was damaged (it reports lost log, or its hard state came back
 *       behind what it announced).</li>
 * </ul>
 * A gap in a node's sequence numbers (it dropped events) makes the rest of that life unjudged for what
 * needs the whole stream (order of applies, durable votes); the cluster-wide tables still take what came.
 */
public final class EventMonitor {
    /** Violations kept for the report (all are counted). */
    public static final int MAX_VIOLATIONS_KEPT = 100;

    private final Consumer<Violation> onViolation;
    private final List<Violation> violations = new ArrayList<>();
    private long violationCount;
    private final CommittedLog log;
    private final Map<Integer, Life> lives = new HashMap<>();
    /** Per node: the vote it granted in each term, across its lives. */
    private final Map<Integer, TreeMap<Long, Integer>> votes = new HashMap<>();
    /** Per node: the highest term it announced durable, across its lives. */
    private final Map<Integer, Long> durableTermSeen = new HashMap<>();
    /** State digest of the snapshots at each index: {digest, node}. */
    private final Map<Long, long[]> snapshotAt = new HashMap<>();

    /** What must survive a restart: lost log reported, acknowledged entries held. */
    private final RestartRules restarts = new RestartRules(this::violation);

    private final Map<String, Long> counts = new TreeMap<>();
    private long eventsDropped;
    private long restartsBehind;
    private long snapshotsCompared;

    /** What the monitor knows of a node's current life. */
    private static final class Life {
        long seq;
        boolean lossy;
        long commit;
        /** The next index this node must apply (0: not known, e.g. a stream that starts mid-life). */
        long nextApplied;

        long durableTerm = -1;
        int durableVote;
        /** The log index of the configuration last seen in force (0: none seen in this life). */
        long configIndex;
    }

    /** @param onViolation told of each violation as it is found (besides {@link #violations()}) */
    public EventMonitor(Consumer<Violation> onViolation) {
        this.onViolation = onViolation;
        this.log = new CommittedLog(this::violation);
    }

    public EventMonitor() {
        this(v -> {});
    }

    private void violation(Violation v) {
        violationCount++;
        if (violations.size() < MAX_VIOLATIONS_KEPT) {
            violations.add(v);
        }
        onViolation.accept(v);
    }

    /**
     * The world destroyed WAL records of {@code node} while it was down ({@code what} says how, e.g. "lose-tail cut
     * 3 record(s) off wal-0000000001.seg"): its next start must report lost log. {@code afterSeq} and {@code
     * afterAtMillis} name its last event before the damage (a monitor fed after the run places the damage by it);
     * {@code afterSeq} 0: the damage is now, or before the node's first event. A loss whose event never comes
     * (its stream rotated away) is not judged.
     */
    public void walRecordsLost(int node, long afterSeq, long afterAtMillis, String what) {
        restarts.walRecordsLost(node, afterSeq, afterAtMillis, what);
    }

    /**
     * Leaves the acknowledged-entries rule unjudged, saying {@code why}. It compares a leader's count with another
     * node's later start, so it needs events of different nodes in their true order: fed live (the simulator) they
     * are; merged from the nodes' files by their clocks they are only while no clock was moved.
     */
    public void skipAcknowledgementRule(String why) {
        restarts.skipAcknowledgementRule(why);
    }

    /** Takes one event; events of one node must come in the order it reported them. */
    public void accept(NodeEvent ev) {
        counts.merge(EventCodec.kind(ev), 1L, Long::sum);
        Life life = life(ev);
        if (ev instanceof NodeEvent.Started s) {
            started(s, life);
        } else if (ev instanceof NodeEvent.HardStateSaved h) {
            life.durableTerm = h.term();
            life.durableVote = h.votedFor();
            durableTermSeen.merge(h.node(), h.term(), Math::max);
        } else if (ev instanceof NodeEvent.VoteGranted v) {
            voted(v, life);
        } else if (ev instanceof NodeEvent.RoleChanged r && r.role().equals("candidate")) {
            campaigned(r, life);
        } else if (ev instanceof NodeEvent.LeaderElected l) {
            log.leader(l);
        } else if (ev instanceof NodeEvent.CommitAdvanced c) {
            committed(c, life);
        } else if (ev instanceof NodeEvent.Applied a) {
            applied(a, life);
        } else if (ev instanceof NodeEvent.SnapshotNoted p) {
            snapshot(p, life);
        } else if (ev instanceof NodeEvent.MembershipInForce m) {
            membership(m, life);
        }
        restarts.passed(ev);
    }

    /** The node's life this event belongs to, noting a gap in its numbering. */
    private Life life(NodeEvent ev) {
        if (ev instanceof NodeEvent.Started) {
            Life fresh = new Life();
            fresh.seq = ev.seq() - 1;
            fresh.lossy = ev.seq() != 1;
            lives.put(ev.node(), fresh);
        }
        Life life = lives.computeIfAbsent(ev.node(), n -> {
            Life l = new Life();
            l.lossy = true; // a stream that starts mid-life (its beginning rotated away)
            l.seq = ev.seq() - 1;
            return l;
        });
        if (ev.seq() <= life.seq) {
            // The numbering started over: a new life whose start was lost (a node killed in the middle of a line
            // tore it into that line). Judged from here on as a stream that starts mid-life.
            life = new Life();
            life.lossy = true;
            life.seq = ev.seq() - 1;
            lives.put(ev.node(), life);
        }
        if (ev.seq() != life.seq + 1) {
            life.lossy = true;
            eventsDropped += Math.max(0, ev.seq() - life.seq - 1);
        }
        life.seq = ev.seq();
        return life;
    }

    private void started(NodeEvent.Started s, Life life) {
        life.durableTerm = s.term();
        life.durableVote = s.votedFor();
        life.nextApplied = s.snapshotIndex() + 1;
        Long seen = durableTermSeen.get(s.node());
        boolean behind = seen != null && s.term() < seen;
        restarts.started(s, behind);
        if (behind) {
            // Its disk lost a hard state it had announced durable: a replaced or damaged disk (the operator's
            // or the nemesis's doing) or a storage bug. Its votes are not held against it from here.
            restartsBehind++;
            votes.remove(s.node());
            durableTermSeen.put(s.node(), s.term());
        }
    }

    /** A leader that appends a configuration while the one before is uncommitted has two changes in flight. */
    private void membership(NodeEvent.MembershipInForce m, Life life) {
        long before = life.configIndex;
        life.configIndex = m.index();
        if (m.asLeader() && before > 0 && m.index() > before && before > m.commitIndex()) {
            violation(new Violation(
                    "one membership change at a time",
                    m.node(),
                    m.index(),
                    m.atMillis(),
                    "leader put the configuration at index " + m.index() + " in force while the one at index "
                            + before + " was not committed (commit index " + m.commitIndex()
                            + "): two changes in flight can leave two majorities that do not overlap"));
        }
    }

    private void voted(NodeEvent.VoteGranted v, Life life) {
        if (!life.lossy && (life.durableTerm != v.term() || life.durableVote != v.candidate())) {
            violation(new Violation(
                    "durable vote",
                    v.node(),
                    0,
                    v.atMillis(),
                    "node " + v.node() + " granted its vote in term " + v.term() + " to " + v.candidate()
                            + " while its durable hard state says term " + life.durableTerm + ", vote "
                            + life.durableVote));
        }
        Integer before = votes.computeIfAbsent(v.node(), n -> new TreeMap<>()).putIfAbsent(v.term(), v.candidate());
        if (before != null && before != v.candidate()) {
            violation(new Violation(
                    "one vote per term",
                    v.node(),
                    0,
                    v.atMillis(),
                    "node " + v.node() + " voted for " + before + " and for " + v.candidate() + " in term "
                            + v.term()));
        }
    }

    /** A candidate asks for votes only once its vote for itself in that term is durable. */
    private void campaigned(NodeEvent.RoleChanged r, Life life) {
        if (!life.lossy && (life.durableTerm != r.term() || life.durableVote != r.node())) {
            violation(new Violation(
                    "durable vote",
                    r.node(),
                    0,
                    r.atMillis(),
                    "node " + r.node() + " campaigns in term " + r.term() + " while its durable hard state says term "
                            + life.durableTerm + ", vote " + life.durableVote + " (not itself)"));
        }
    }

    private void committed(NodeEvent.CommitAdvanced c, Life life) {
        if (c.index() < life.commit) {
            violation(new Violation(
                    "commit index monotonic",
                    c.node(),
                    c.index(),
                    c.atMillis(),
                    "node " + c.node() + " commit index moved back from " + life.commit + " to " + c.index()));
        }
        life.commit = Math.max(life.commit, c.index());
        restarts.counted(c);
        if (c.asLeader() && c.entryTerm() > 0 && c.entryTerm() != c.term()) {
            violation(new Violation(
                    "commit rule",
                    c.node(),
                    c.index(),
                    c.atMillis(),
                    "leader " + c.node() + " of term " + c.term() + " advanced its commit index to " + c.index()
                            + ", an entry of term " + c.entryTerm()
                            + " (only entries of the leader's own term commit by counting replicas)"));
        }
        log.committed(c);
    }

    private void applied(NodeEvent.Applied a, Life life) {
        if (!life.lossy && life.nextApplied > 0 && a.fromIndex() != life.nextApplied) {
            violation(new Violation(
                    "applied in order",
                    a.node(),
                    a.fromIndex(),
                    a.atMillis(),
                    "node " + a.node() + " applied index " + a.fromIndex() + " after " + (life.nextApplied - 1)));
        }
        life.nextApplied = a.toIndex() + 1;
        log.applied(a);
    }

    private void snapshot(NodeEvent.SnapshotNoted p, Life life) {
        if (!p.taken()) {
            life.nextApplied = p.index() + 1;
        }
        long[] first = snapshotAt.putIfAbsent(p.index(), new long[] {p.stateDigest(), p.node(), p.taken() ? 1 : 0});
        if (first == null) {
            return;
        }
        snapshotsCompared++;
        if (first[0] != p.stateDigest()) {
            violation(new Violation(
                    "snapshot state",
                    p.node(),
                    p.index(),
                    p.atMillis(),
                    "node " + p.node() + " " + (p.taken() ? "took" : "restored") + " a snapshot through index "
                            + p.index() + " whose state differs from the one node " + first[1]
                            + (first[2] == 1 ? " took" : " restored") + " there"));
        }
    }

    /** The violations found (the first {@link #MAX_VIOLATIONS_KEPT}). */
    public List<Violation> violations() {
        return List.copyOf(violations);
    }

    /** What the monitor saw and checked, for a run's facts. */
    public Map<String, Object> facts() {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("events", new LinkedHashMap<>(counts));
        f.put("events-dropped", eventsDropped);
        f.put("leaders", log.leadersSeen());
        f.put("leader-completeness-checks", log.completenessChecks);
        f.put("highest-applied-index", log.highestApplied);
        f.put("snapshots-compared", snapshotsCompared);
        f.put("restarts-with-hard-state-behind", restartsBehind);
        restarts.facts(f);
        f.put("violations", violationCount);
        return f;
    }

    /** The properties checked, for a run's report. */
    public static List<String> checked() {
        return List.of(
                "election safety",
                "one vote per term, made durable before it is granted",
                "a leader commits only entries of its own term",
                "commit index monotonic",
                "applied in order",
                "committed prefix unchanged",
                "state machine safety (entry hashes)",
                "leader completeness (leaders' announced logs)",
                "snapshots at one index hold one state",
                "one membership change at a time",
                "lost log reported after the WAL lost records",
                "acknowledged entries held after a restart");
    }
}
