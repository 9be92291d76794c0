package dev.linden.realenv;

import dev.linden.kvnode.raft.Entry;
import dev.linden.kvnode.wal.WalInspection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The committed log as the stopped nodes' disks show it, and where they disagree about it. The commit
 * index is not persisted, so "committed" is taken from what is sound: the highest commit index a node
 * announced while running; the newest snapshot on any disk (only committed state is snapshotted); and
 * Raft's own rule read off the disks, an entry held identically (index, term, bytes) by a majority of
 * the voters such that every node whose log ends in a later term holds it too (no node that could still
 * win an election lacks it, so no leader can ever replace it). A node's log must agree (term and bytes)
 * with the committed one through the later of the index it said it applied and the last committed index
 * where its entry is the committed one (by Log Matching, everything before such an entry is the same); past
 * that a node that fell behind may still hold a stale uncommitted tail, which is not judged.
 */
final class CommittedLog {
    private final Map<Integer, WalInspection.Contents> disks;
    private final Set<Integer> voters;
    private final boolean everyVoterRead;
    private final long index;
    private final String indexSource;
    /** The committed entry at each index some disk holds, by index (the one most nodes hold). */
    private final TreeMap<Long, Entry> entries = new TreeMap<>();

    private final List<String> findings = new ArrayList<>();

    /**
     * @param disks           the nodes whose WALs were read, by id
     * @param voters          the voting members at the end of the run
     * @param announcedCommit the highest commit index any node announced (0: none known)
     */
    CommittedLog(
            Map<Integer, WalInspection.Contents> disks,
            Set<Integer> voters,
            long announcedCommit,
            Map<Integer, Long> appliedByNode) {
        this.disks = disks;
        this.voters = voters;
        this.everyVoterRead = disks.keySet().containsAll(voters);
        long snap = 0;
        for (WalInspection.Contents c : disks.values()) {
            snap = Math.max(snap, c.snapshotIndex());
        }
        long byRule = everyVoterRead ? byRaftRule() : 0;
        long c = Math.max(announcedCommit, Math.max(snap, byRule));
        this.index = c;
        this.indexSource = c == 0
                ? "nothing committed"
                : c == announcedCommit ? "announced by a node" : c == byRule ? "Raft's rule on the disks" : "snapshot";
        for (long i = 1; i <= c; i++) {
            Entry agreed = mostHeld(i);
            if (agreed != null) {
                entries.put(i, agreed);
            }
        }
        disks.forEach((id, d) -> agree(id, d, appliedByNode.getOrDefault(id, 0L)));
        snapshotsAgree();
    }

    long index() {
        return index;
    }

    /** Whether every voter's disk was read: then Raft's rule finds every committed entry a majority still holds. */
    boolean everyVoterRead() {
        return everyVoterRead;
    }

    String indexSource() {
        return indexSource;
    }

    /** The committed entry at {@code i}, or null if no disk holds it (compacted everywhere, or lost). */
    Entry entry(long i) {
        return entries.get(i);
    }

    /** Where nodes disagree about committed entries. */
    List<String> findings() {
        return findings;
    }

    int majority() {
        return voters.size() / 2 + 1;
    }

    /** How many voters hold the committed entry at {@code i} in their log or under a snapshot. */
    List<Integer> holders(long i) {
        Entry e = entries.get(i);
        List<Integer> out = new ArrayList<>();
        for (int id : voters) {
            WalInspection.Contents c = disks.get(id);
            if (c != null && (c.snapshotIndex() >= i || (e != null && e.equals(c.entry(i))))) {
                out.add(id);
            }
        }
        return out;
    }

    /** The highest index Raft's commit rule shows committed on the disks, or 0. */
    private long byRaftRule() {
        long last = 0;
        for (WalInspection.Contents c : disks.values()) {
            last = Math.max(last, c.lastIndex());
        }
        for (long i = last; i >= 1; i--) {
            Entry e = mostHeld(i);
            if (e != null && holdersInLog(i, e) >= majority() && laterTermsHold(i, e)) {
                return i;
            }
        }
        return 0;
    }

    private int holdersInLog(long i, Entry e) {
        int n = 0;
        for (int id : voters) {
            WalInspection.Contents c = disks.get(id);
            if (c != null && e.equals(c.entry(i))) {
                n++;
            }
        }
        return n;
    }

    /** Does every node whose log ends in a term later than {@code e}'s hold {@code e}? */
    private boolean laterTermsHold(long i, Entry e) {
        for (WalInspection.Contents c : disks.values()) {
            Entry lastEntry = c.entry(c.lastIndex());
            if (lastEntry != null && lastEntry.term() > e.term() && !e.equals(c.entry(i))) {
                return false;
            }
        }
        return true;
    }

    /** The entry at {@code i} most disks hold (the lowest node id's among equals), or null. */
    private Entry mostHeld(long i) {
        Entry best = null;
        int bestCount = 0;
        for (WalInspection.Contents c : disks.values()) {
            Entry e = c.entry(i);
            if (e == null) {
                continue;
            }
            int count = 0;
            for (WalInspection.Contents o : disks.values()) {
                count += e.equals(o.entry(i)) ? 1 : 0;
            }
            if (count > bestCount) {
                best = e;
                bestCount = count;
            }
        }
        return best;
    }

    /** Node {@code id}'s log agrees with the committed one through what it applied or last matched. */
    private void agree(int id, WalInspection.Contents d, long applied) {
        long matched = 0;
        for (long i = Math.min(index, d.lastIndex()); i > d.base() && matched == 0; i--) {
            Entry e = d.entry(i);
            matched = e != null && e.equals(entries.get(i)) ? i : 0;
        }
        long through = Math.min(index, Math.max(matched, applied));
        for (long i = d.base() + 1; i <= Math.min(through, d.lastIndex()); i++) {
            Entry e = d.entry(i);
            Entry agreed = entries.get(i);
            if (agreed != null && !e.equals(agreed)) {
                findings.add("node " + id + " index " + i + " (" + d.fileOf(i) + "): holds term " + e.term() + " "
                        + e.kind() + " (" + e.command().length + " bytes) where the committed log (held by "
                        + holdersOf(i, agreed) + ") has term " + agreed.term() + " " + agreed.kind() + " ("
                        + agreed.command().length + " bytes)");
            }
        }
    }

    private List<Integer> holdersOf(long i, Entry e) {
        List<Integer> out = new ArrayList<>();
        disks.forEach((id, c) -> {
            if (e.equals(c.entry(i))) {
                out.add(id);
            }
        });
        return out;
    }

    /** A snapshot's term at its index must be the committed entry's there. */
    private void snapshotsAgree() {
        for (var d : disks.entrySet()) {
            for (WalInspection.SnapshotSeen s : d.getValue().snapshots()) {
                Entry e = entries.get(s.snapshot().index());
                if (e != null && e.term() != s.snapshot().term()) {
                    findings.add("node " + d.getKey() + " index " + s.snapshot().index() + " (" + s.file()
                            + "): snapshot of term " + s.snapshot().term() + " where the committed log has term "
                            + e.term());
                }
            }
        }
    }
}
