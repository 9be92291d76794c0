package dev.linden.realenv;

import dev.linden.checker.history.OpType;
import dev.linden.kvnode.kv.KvResult;
import dev.linden.kvnode.net.Wire;
import dev.linden.kvnode.raft.Entry;
import dev.linden.kvnode.raft.HardState;
import dev.linden.kvnode.wal.WalInspection;
import dev.linden.workloads.HistoryOp;
import dev.linden.workloads.Workload;
import dev.linden.workloads.check.CheckOutcome;
import dev.linden.workloads.check.Validity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What the disks hold, after a run on real node processes, with every node stopped: each node's WAL, hard
 * state and snapshots read through the product's own readers ({@link WalInspection}, which never repairs
 * or writes) and checked. Every acknowledged write is in the committed log ({@link CommittedLog}) of a
 * majority; the logs agree on every committed index they hold; a node that answered at the end holds every
 * committed entry it said it applied; a node's hard state is not behind the term it announced last (nor,
 * for a leader, its vote for itself); and nothing recovery would refuse to start on. Any finding fails the
 * {@code disks} check, naming the node, index and file. The logs then resolve {@code :info} writes: one
 * whose command is in the committed log took effect as applying it there says (its first appearance, the
 * log replayed through the state machine: ok; fail for a CAS that did not match or a command whose session
 * the cluster no longer held, which the state machine refuses without running it); one in no node's log at
 * all, with every node read and no snapshot that could hide it, never happened (fail); any other stays
 * unknown.
 */
final class DiskAudit {
    static final String CHECK = "disks";
    private static final int MAX_LISTED = 20;

    private final Map<Integer, WalInspection.Contents> disks = new TreeMap<>();
    private final Map<Integer, String> skipped = new TreeMap<>();
    private final Set<Integer> voters;
    private final Map<Integer, Wire.StatusResponse> lastStatus;
    private final CommittedLog log;
    private final WrittenCommands writes;
    private final List<String> findings = new ArrayList<>();
    private int ackedChecked;
    private long stopMillis = -1;
    private long readMillis = -1;
    private int ackedUnmatched;

    /**
     * @param dataDirs        every node's data dir (voters, and spares that ever ran), by id
     * @param skip            nodes not to judge, with why (their data was damaged or wiped by the nemesis)
     * @param voters          the voting members at the end
     * @param lastStatus      what each node announced last, right before it was stopped
     * @param announcedCommit the highest commit index any node announced during the run
     */
    DiskAudit(
            Map<Integer, Path> dataDirs,
            Map<Integer, String> skip,
            Set<Integer> voters,
            Map<Integer, Wire.StatusResponse> lastStatus,
            long announcedCommit,
            List<HistoryOp> history,
            Workload workload) {
        this.voters = voters;
        this.lastStatus = lastStatus;
        dataDirs.forEach((id, dir) -> {
            Path wal = dir.resolve("wal");
            if (skip.containsKey(id)) {
                skipped.put(id, skip.get(id));
            } else if (!Files.isDirectory(wal)) {
                skipped.put(id, "no WAL directory at " + wal);
            } else {
                disks.put(id, WalInspection.read(wal));
            }
        });
        Map<Integer, Long> applied = new TreeMap<>();
        lastStatus.forEach((id, st) -> applied.put(id, st.appliedIndex()));
        this.log = new CommittedLog(disks, voters, announcedCommit, applied);
        this.writes = new WrittenCommands(history, workload);
        writes.scan(log, disks);
        readProblems();
        findings.addAll(log.findings());
        committedHeld();
        hardStates();
        ackedWrites(history);
    }

    private void readProblems() {
        disks.forEach((id, c) -> {
            for (String p : c.problems()) {
                findings.add("node " + id + ": recovery would refuse to start: " + p);
            }
            if (c.lostData() != null) {
                findings.add("node " + id + ": log lost at the end: " + c.lostData());
            }
        });
        for (int id : voters) {
            if (!disks.containsKey(id) && !skipped.containsKey(id)) {
                findings.add("node " + id + ": no data dir");
            }
        }
    }

    /** A node that answered at the end holds every committed entry through what it said it applied. */
    private void committedHeld() {
        disks.forEach((id, c) -> {
            Wire.StatusResponse s = lastStatus.get(id);
            long through = Math.min(log.index(), s == null ? 0 : s.appliedIndex());
            for (long i = c.snapshotIndex() + 1; i <= through; i++) {
                if (c.entry(i) == null) {
                    findings.add("node " + id + " index " + i + ": committed, and applied by this node (it said "
                            + s.appliedIndex() + "), but missing from its log (ends at " + c.lastIndex()
                            + ", snapshot " + c.snapshotIndex() + ")");
                    return;
                }
            }
        });
    }

    /** The hard state is not behind the term the node announced last, nor a leader's vote for itself. */
    private void hardStates() {
        disks.forEach((id, c) -> {
            HardState hs = c.hardState();
            if (hs == null) {
                return; // unreadable: already a problem
            }
            if (hs.lostThroughTerm() > 0) {
                // Nodes whose disks the nemesis damaged are not judged: this one lost nothing, yet a restart took
                // something (a torn write, a full disk) for lost log and kept it out of elections.
                findings.add("node " + id + " (wal/hardstate): recorded lost log (lost-through-term "
                        + hs.lostThroughTerm() + ") although the nemesis never damaged its disk: a false data-loss "
                        + "finding");
            }
            Entry lastEntry = c.entry(c.lastIndex());
            if (lastEntry != null && lastEntry.term() > hs.term()) {
                findings.add("node " + id + " index " + c.lastIndex() + " (" + c.fileOf(c.lastIndex())
                        + "): log holds term " + lastEntry.term() + " beyond the hard state's term " + hs.term());
            }
            Wire.StatusResponse s = lastStatus.get(id);
            if (s == null || s.leaderId() <= 0) {
                return; // announced nothing, or no term it took part in
            }
            if (hs.term() < s.term()) {
                findings.add("node " + id + " (wal/hardstate): term " + hs.term() + " is behind the term " + s.term()
                        + " it announced as " + s.role());
            } else if (hs.term() == s.term() && s.role().equals("LEADER") && hs.votedFor() != id) {
                findings.add("node " + id + " (wal/hardstate): led term " + s.term() + " but its vote there is "
                        + hs.votedFor());
            }
        });
    }

    /** Every acknowledged write is in the committed log, held by a majority of the voters. */
    private void ackedWrites(List<HistoryOp> history) {
        boolean snapshots = disks.values().stream().anyMatch(c -> c.snapshotIndex() > 0);
        for (HistoryOp op : history) {
            if (!op.client() || op.type() != OpType.OK) {
                continue;
            }
            String sig = writes.signatureOfCompletion(op.index());
            if (sig == null) {
                ackedUnmatched += isRead(op) ? 0 : 1;
                continue;
            }
            ackedChecked++;
            WrittenCommands.Committed at = writes.committed(sig);
            if (at == null) {
                if (!snapshots && log.everyVoterRead()) {
                    findings.add("acknowledged " + describe(op) + " (history op " + op.index()
                            + ") is not in the committed log (through " + log.index() + ")"
                            + (writes.inAnyLog(sig) ? ", only in an uncommitted tail" : " nor in any node's log"));
                }
                continue;
            }
            List<Integer> holders = log.holders(at.index());
            int unknown = (int) voters.stream().filter(skipped::containsKey).count();
            if (holders.size() + unknown < log.majority()) {
                findings.add("acknowledged " + describe(op) + " (history op " + op.index() + ") at index "
                        + at.index() + " is held by nodes " + holders + " only, short of a majority of "
                        + voters.size());
            }
        }
    }

    private static boolean isRead(HistoryOp op) {
        return op.f().equals("read");
    }

    private static String describe(HistoryOp op) {
        return op.f() + (op.key() == null ? "" : " " + op.key()) + " " + op.value();
    }

    /** The :info writes the logs decide, by history index of the :info completion. */
    Map<Integer, OpType> resolveInfo(List<HistoryOp> history) {
        boolean absenceMeansFailed = skipped.isEmpty()
                && disks.values().stream()
                        .allMatch(c -> c.snapshotIndex() == 0 && c.problems().isEmpty());
        Map<Integer, OpType> out = new TreeMap<>();
        for (HistoryOp op : history) {
            if (!op.client() || op.type() != OpType.INFO) {
                continue;
            }
            String sig = writes.signatureOfCompletion(op.index());
            if (sig == null) {
                continue;
            }
            WrittenCommands.Committed at = writes.committed(sig);
            if (at != null) {
                if (at.status() == KvResult.Status.OK) {
                    out.put(op.index(), OpType.OK);
                } else if (at.status() != null) {
                    out.put(op.index(), OpType.FAIL); // a CAS that did not match; a retry of a session gone; garbage
                }
            } else if (absenceMeansFailed && !writes.inAnyLog(sig)) {
                out.put(op.index(), OpType.FAIL);
            }
        }
        return out;
    }

    /** What stopping the nodes and reading and checking their disks took (for results). */
    void timed(long stopMillis, long readMillis) {
        this.stopMillis = stopMillis;
        this.readMillis = readMillis;
    }

    List<String> findings() {
        return findings;
    }

    /**
     * Node {@code id}'s log, read for the losses its recoveries recorded: its disk was never damaged by the
     * nemesis (those nodes are skipped), so each is a false data-loss finding, whatever the hard state says
     * now (a leader's later term repairs the log and the abstention ends).
     */
    void nodeLog(int id, List<String> lines) {
        if (skipped.containsKey(id)) {
            return;
        }
        lines.stream()
                .filter(l -> l.contains("event=wal-data-loss"))
                .findFirst()
                .ifPresent(l -> findings.add("node " + id + " (node.log): recovery recorded lost log although the "
                        + "nemesis never damaged its disk, a false data-loss finding: "
                        + l.substring(l.indexOf("event=wal-data-loss"))));
    }

    CheckOutcome outcome() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put(
                "checked",
                List.of(
                        "every acknowledged write in the committed log of a majority",
                        "logs agree (term and bytes) on every committed index they hold",
                        "a node holds every committed entry it said it applied",
                        "hard state not behind the term (and a leader's vote) the node announced last",
                        "nothing recovery would refuse to start on"));
        Map<String, Object> nodes = new TreeMap<>();
        disks.forEach((id, c) -> nodes.put(String.valueOf(id), describe(c)));
        skipped.forEach((id, why) -> nodes.put(String.valueOf(id), "not judged: " + why));
        d.put("nodes", nodes);
        d.put("commit-index", log.index());
        d.put("commit-index-from", log.indexSource());
        d.put("committed-log-replayed", writes.replayed());
        d.put("acknowledged-writes-checked", ackedChecked);
        d.put("acknowledged-writes-unmatched", ackedUnmatched);
        if (stopMillis >= 0) {
            d.put("stop-millis", stopMillis);
            d.put("audit-millis", readMillis);
        }
        d.put("findings", findings.size() > MAX_LISTED ? findings.subList(0, MAX_LISTED) : findings);
        if (!findings.isEmpty()) {
            d.put("why", findings.get(0) + (findings.size() > 1 ? " (and " + (findings.size() - 1) + " more)" : ""));
        }
        return new CheckOutcome(CHECK, Validity.of(findings.isEmpty()), d);
    }

    private static String describe(WalInspection.Contents c) {
        HardState hs = c.hardState();
        return "log " + (c.base() + 1) + ".." + c.lastIndex() + ", snapshot " + c.snapshotIndex()
                + (hs == null ? ", hard state unreadable" : ", term " + hs.term() + " vote " + hs.votedFor())
                + (c.tornTail() == null ? "" : ", torn tail " + c.tornTail());
    }
}
