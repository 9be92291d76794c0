package dev.linden.sim;

import dev.linden.kvnode.kv.KvStateMachine;
import dev.linden.kvnode.raft.Entry;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Every snapshot a node takes, installs from its leader or loads at restart must hold exactly the state
 * a reference rebuilt from the committed log holds at that index. Each snapshot's state digest is noted
 * when it appears; at the end of the run one reference state machine replays the log every node applied
 * (the monitors' record of it) in index order and compares at each noted index. This sees a snapshot cut
 * at the wrong index, a state machine that does not serialize all it holds, or an install that loads
 * something else, none of which the product's own checks can.
 */
final class SnapshotMonitor {
    private record Noted(int nodeId, long index, long digest, String how, long atMillis) {}

    private final List<Noted> noted = new ArrayList<>();

    /**
     * A node took a snapshot through {@code index}, its state machine holding the state of digest
     * {@code digest} at that moment. (What the bytes hold is checked where they are loaded: at an install
     * or a restart.)
     */
    void taken(int nodeId, long index, long digest, long atMillis) {
        noted.add(new Noted(nodeId, index, digest, "took", atMillis));
    }

    void loaded(int nodeId, long index, long digest, long atMillis) {
        noted.add(new Noted(nodeId, index, digest, "loaded", atMillis));
    }

    int count() {
        return noted.size();
    }

    /**
     * Replays the committed log into a reference and compares; returns the first disagreement, or null.
     * Indexes past a gap in the record (no node applied that entry: it reached everyone by snapshot) are
     * not checked.
     */
    String check(Map<Long, Entry> appliedLog, boolean noDedup) {
        List<Noted> byIndex = new ArrayList<>(noted);
        byIndex.sort(Comparator.comparingLong(Noted::index).thenComparingInt(Noted::nodeId));
        KvStateMachine ref = noDedup ? KvStateMachine.withoutDeduplicationForTests() : new KvStateMachine();
        long at = 0;
        for (Noted n : byIndex) {
            while (at < n.index()) {
                Entry e = appliedLog.get(at + 1);
                if (e == null) {
                    return null; // a gap: what follows cannot be rebuilt here
                }
                if (e.kind() == Entry.Kind.COMMAND) {
                    ref.apply(e.index(), e.command());
                }
                at++;
            }
            if (ref.digest() != n.digest()) {
                return "snapshot: node " + n.nodeId() + " " + n.how() + " a snapshot through index " + n.index()
                        + " at " + n.atMillis() + " ms whose state differs from the committed log's at that index";
            }
        }
        return null;
    }
}
