package dev.linden.kvnode.events;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The {@link EventMonitor}'s rules judged when a node starts again, about what its storage kept:
 * <ul>
 *   <li>lost log reported: a node whose WAL records the world destroyed while it was down reports lost log at its
 *       next start ({@link #walRecordsLost}, told by each world's disk-damage faults);</li>
 *   <li>acknowledged entries held: a node a leader counted as holding an index toward a commit still holds it at
 *       its next start, unless its disk was damaged (it reports lost log, its hard state came back behind what it
 *       announced, or the world destroyed records of its WAL).</li>
 * </ul>
 */
final class RestartRules {
    /** A leader's count of a node toward a commit: the index, by which leader, in which term, when. */
    private static final class Counted {
        long index;
        int leader;
        long term;
        long atMillis;
    }

    /** A WAL loss the world noted: armed after the node's event {@code afterSeq} at {@code afterAtMillis}. */
    private record LossNote(long afterSeq, long afterAtMillis, String what) {}

    private final Consumer<Violation> violation;
    /** Per node: the highest index a leader counted it as holding toward a commit, since its last start. */
    private final Map<Integer, Counted> counted = new HashMap<>();
    /** Per node: the time of its last start on a damaged disk (counts noted before it no longer hold). */
    private final Map<Integer, Long> damagedStartAt = new HashMap<>();
    /** Per node: WAL losses the world noted, each armed once the node's event before the damage has passed. */
    private final Map<Integer, List<LossNote>> lossNotes = new HashMap<>();
    /** Per node: the armed loss (what was destroyed), judged at its next start. */
    private final Map<Integer, String> lossArmed = new HashMap<>();

    /** Why the acknowledged-entries rule is not judged (null: it is). */
    private String acknowledgementsUnjudged;

    private long lossesNoted;
    private long lossesJudged;
    private long restartsHeldToAcks;

    RestartRules(Consumer<Violation> violation) {
        this.violation = violation;
    }

    /** See {@link EventMonitor#skipAcknowledgementRule}. */
    void skipAcknowledgementRule(String why) {
        acknowledgementsUnjudged = why;
    }

    /** See {@link EventMonitor#walRecordsLost}. */
    void walRecordsLost(int node, long afterSeq, long afterAtMillis, String what) {
        lossesNoted++;
        if (afterSeq <= 0) {
            lossArmed.put(node, what);
        } else {
            lossNotes.computeIfAbsent(node, n -> new ArrayList<>()).add(new LossNote(afterSeq, afterAtMillis, what));
        }
    }

    /** An event was taken: a loss noted after it is armed. */
    void passed(NodeEvent ev) {
        List<LossNote> notes = lossNotes.get(ev.node());
        if (notes == null) {
            return;
        }
        notes.removeIf(n -> {
            boolean passed = n.afterSeq() == ev.seq() && n.afterAtMillis() == ev.atMillis();
            if (passed) {
                lossArmed.put(ev.node(), n.what());
            }
            return passed;
        });
    }

    /** The voters a leader counted toward a commit: each must hold the index at its next start. */
    void counted(NodeEvent.CommitAdvanced c) {
        for (int v : c.counted()) {
            Long damaged = damagedStartAt.get(v);
            if (damaged != null && c.atMillis() < damaged) {
                continue; // noted before the node's damaged start (merged by time, clocks apart): not held
            }
            Counted k = counted.computeIfAbsent(v, n -> new Counted());
            if (c.index() > k.index) {
                k.index = c.index();
                k.leader = c.node();
                k.term = c.term();
                k.atMillis = c.atMillis();
            }
        }
    }

    /** The node started; {@code behind}: its hard state came back behind what it had announced durable. */
    void started(NodeEvent.Started s, boolean behind) {
        String lost = lossArmed.remove(s.node());
        if (lost != null) {
            lossesJudged++;
            if (s.lostThroughTerm() == 0) {
                violation.accept(new Violation(
                        "lost log reported",
                        s.node(),
                        0,
                        s.atMillis(),
                        lost + " while it was down, and it started again and reported no lost log: it votes with less"
                                + " log than it may have acknowledged"));
            }
        }
        // A disk the world damaged is not held to what was counted before (its own mistake, if any, is above).
        heldToAcknowledgements(s, behind || s.lostThroughTerm() > 0 || lost != null);
    }

    /**
     * A node that starts again must hold every index a leader counted it as holding toward a commit, unless its
     * disk was damaged ({@code damaged}): else it acknowledged entries it did not hold durably (a follower that
     * acknowledged before its fsync, a leader that counted its own unsynced log, a disk that lied).
     */
    private void heldToAcknowledgements(NodeEvent.Started s, boolean damaged) {
        Counted k = counted.remove(s.node());
        if (damaged) {
            damagedStartAt.put(s.node(), s.atMillis());
            return;
        }
        if (k == null || s.lastIndex() < 0 || acknowledgementsUnjudged != null) {
            return;
        }
        if (k.term > s.term()) {
            // A node acknowledges in a term only once that term is durable, and it came back with an older one: the
            // count is of its next life (events merged out of order), so it holds for the start after this one.
            counted.put(s.node(), k);
            return;
        }
        restartsHeldToAcks++;
        if (s.lastIndex() < k.index) {
            violation.accept(new Violation(
                    "acknowledged entries durable",
                    s.node(),
                    k.index,
                    s.atMillis(),
                    "leader " + k.leader + " of term " + k.term + " counted node " + s.node() + " as holding index "
                            + k.index + " toward a commit (at " + k.atMillis + " ms), and the node started again "
                            + "holding its log only through index " + s.lastIndex()
                            + ", reporting no lost log: it acknowledged entries it did not hold durably"));
        }
    }

    void facts(Map<String, Object> f) {
        f.put(
                "restarts-held-to-acknowledgements",
                acknowledgementsUnjudged == null ? restartsHeldToAcks : "not judged: " + acknowledgementsUnjudged);
        f.put("wal-losses-judged", lossesJudged + " of " + lossesNoted);
    }
}
