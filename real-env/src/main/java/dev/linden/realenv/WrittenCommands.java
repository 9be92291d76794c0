package dev.linden.realenv;

import dev.linden.checker.history.OpType;
import dev.linden.kvadapter.KvCommands;
import dev.linden.kvnode.kv.KvCommand;
import dev.linden.kvnode.kv.KvResult;
import dev.linden.kvnode.kv.KvStateMachine;
import dev.linden.kvnode.raft.Entry;
import dev.linden.kvnode.raft.Snapshot;
import dev.linden.kvnode.raft.SnapshotPayload;
import dev.linden.kvnode.wal.WalInspection;
import dev.linden.workloads.HistoryOp;
import dev.linden.workloads.KvRequest;
import dev.linden.workloads.Workload;
import dev.linden.workloads.gen.Op;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The history's writes matched to the commands in the nodes' logs. A write is matched by what it asks
 * (op, key, value and a CAS's expected value, as kvnode's own codec encodes it; the session numbers a
 * retry may change are left out), and only if no other invocation of the history asks the same: the
 * workloads write unique values, so in practice every write is matched. Where the committed log is on the
 * disks from its start (or from a snapshot), it is replayed through the product's {@link KvStateMachine},
 * so a committed CAS is known to have matched or not, and a duplicate of a retried command is told from
 * the one that took effect.
 */
final class WrittenCommands {
    /** A write's first appearance in the committed log: where, and what applying it gave (null: not replayed). */
    record Committed(long index, KvResult.Status status) {}

    /** Each matchable write invocation's signature, by history index of the invocation. */
    private final Map<Integer, String> signatureByInvoke = new HashMap<>();
    /** For each completion, its invocation's history index. */
    private final Map<Integer, Integer> invokeOf = new HashMap<>();

    private final Map<String, Committed> committed = new HashMap<>();
    private final Set<String> anywhere = new HashSet<>();
    private boolean replayed;

    WrittenCommands(Collection<HistoryOp> history, Workload workload) {
        Map<String, Integer> count = new HashMap<>();
        Map<Integer, Integer> open = new HashMap<>();
        for (HistoryOp op : history) {
            if (op.nemesis()) {
                continue;
            }
            if (op.type() != OpType.INVOKE) {
                Integer inv = open.remove(op.process());
                if (inv != null) {
                    invokeOf.put(op.index(), inv);
                }
                continue;
            }
            open.put(op.process(), op.index());
            String sig = signature(op, workload);
            if (sig != null) {
                signatureByInvoke.put(op.index(), sig);
                count.merge(sig, 1, Integer::sum);
            }
        }
        signatureByInvoke.values().removeIf(s -> count.get(s) > 1);
    }

    /** The signature of a write invocation, or null for a read or an operation the workload cannot map. */
    private static String signature(HistoryOp op, Workload workload) {
        try {
            KvRequest r = workload.request(Op.of(op.f(), op.key(), op.value()));
            return r.isRead() ? null : signature(KvCommands.of(r));
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static String signature(KvCommand c) {
        return c.op() + "\u0000" + c.key() + "\u0000" + c.value() + "\u0000" + Objects.toString(c.expected(), "\u0001");
    }

    /** The signature of a log entry's command, or null (not a command, or not one of kvnode's). */
    private static String signature(Entry e) {
        if (e == null || e.kind() != Entry.Kind.COMMAND) {
            return null;
        }
        try {
            return signature(KvCommand.decode(e.command()));
        } catch (RuntimeException ex) {
            return null;
        }
    }

    /** Reads the logs: the committed one (replayed where it can be) and every node's whole log. */
    void scan(CommittedLog log, Map<Integer, WalInspection.Contents> disks) {
        for (WalInspection.Contents c : disks.values()) {
            for (Entry e : c.entries()) {
                String sig = signature(e);
                if (sig != null) {
                    anywhere.add(sig);
                }
            }
        }
        long from = replayStart(log, disks);
        KvStateMachine sm = from >= 0 ? new KvStateMachine() : null;
        if (sm != null && from > 0) {
            sm.restore(from, SnapshotPayload.state(snapshotAt(from, disks).data()));
        }
        replayed = sm != null;
        for (long i = Math.max(from, 0) + 1; i <= log.index(); i++) {
            Entry e = log.entry(i);
            String sig = signature(e);
            KvResult.Status status = null;
            if (sm != null && e != null && e.kind() == Entry.Kind.COMMAND) {
                status = KvResult.decode(sm.apply(i, e.command())).status();
                if (status == KvResult.Status.SESSION_EXPIRED && from > 0) {
                    status = null; // its first execution may be under the snapshot replay started from
                }
            }
            if (sig != null) {
                committed.putIfAbsent(sig, new Committed(i, status));
            }
        }
    }

    /** Where replaying the committed log can start (0, or a snapshot's index), or -1 if there is a gap. */
    private static long replayStart(CommittedLog log, Map<Integer, WalInspection.Contents> disks) {
        long gap = 0;
        for (long i = log.index(); i >= 1 && gap == 0; i--) {
            gap = log.entry(i) == null ? i : 0;
        }
        if (gap == 0) {
            return 0;
        }
        for (long s = gap; s <= log.index(); s++) {
            if (snapshotAt(s, disks) != null) {
                return s; // the newest snapshot at or past the last gap: the log is whole after it
            }
        }
        return -1;
    }

    private static Snapshot snapshotAt(long index, Map<Integer, WalInspection.Contents> disks) {
        for (WalInspection.Contents c : disks.values()) {
            for (WalInspection.SnapshotSeen s : c.snapshots()) {
                if (s.snapshot().index() == index) {
                    return s.snapshot();
                }
            }
        }
        return null;
    }

    /** Whether the committed log was replayed through the state machine. */
    boolean replayed() {
        return replayed;
    }

    /** The signature of the write a completion (by history index) completes, or null if it is not matched. */
    String signatureOfCompletion(int completionIndex) {
        Integer inv = invokeOf.get(completionIndex);
        return inv == null ? null : signatureByInvoke.get(inv);
    }

    Committed committed(String signature) {
        return committed.get(signature);
    }

    /** Whether any node's log holds the command, committed or not. */
    boolean inAnyLog(String signature) {
        return anywhere.contains(signature);
    }
}
