package dev.linden.harness;

import dev.linden.checker.history.OpType;
import dev.linden.workloads.HistoryOp;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A sharper history: the {@code :info} completions whose outcome the cluster could tell after the run
 * (from the nodes' logs: {@link Cluster#resolveInfo}) that certainly did not happen become {@code :fail}, as
 * etcd's robustness tests do with their members' WALs; each keeps its place, time and process and says why in its
 * error. Those that did happen stay {@code :info}: when they took effect is not known (it may be after the client
 * gave up), and {@code :info} says just that; they are counted.
 *
 * @param history the history the checks judge
 * @param info    how many :info client completions the original history held
 * @param ok      how many of them happened (kept :info: when is not known)
 * @param failed  how many became :fail
 */
record InfoResolution(List<HistoryOp> history, int info, int ok, int failed) {
    /** The note a resolved :fail carries in its error. */
    static final String FAILED_NOTE = "resolved from the nodes' logs: in no log, so it never happened";

    /**
     * Applies {@code outcomes} (history index of an :info completion, to OK or FAIL) to {@code original};
     * any other index or type there is an error of the cluster's.
     */
    static InfoResolution apply(List<HistoryOp> original, Map<Integer, OpType> outcomes) {
        List<HistoryOp> out = new ArrayList<>(original.size());
        Map<Integer, HistoryOp> pending = new LinkedHashMap<>(); // process -> its open invocation
        int info = 0;
        int ok = 0;
        int failed = 0;
        for (HistoryOp op : original) {
            if (op.nemesis()) {
                out.add(op);
                continue;
            }
            if (op.type() == OpType.INVOKE) {
                pending.put(op.process(), op);
                out.add(op);
                continue;
            }
            HistoryOp invoke = pending.remove(op.process());
            if (op.type() != OpType.INFO) {
                out.add(op);
                continue;
            }
            info++;
            OpType to = outcomes.get(op.index());
            if (to == null) {
                out.add(op);
            } else if (to == OpType.OK) {
                // It happened, but not necessarily before the client gave up: a write that timed out may commit
                // later. An :ok completing at the timeout would claim it took effect by then (a read after that,
                // of the value before it, would look stale); an :info says "some time after its invocation",
                // which is what the log tells. So it stays :info, counted as resolved.
                ok++;
                out.add(op);
            } else if (to == OpType.FAIL) {
                failed++;
                out.add(new HistoryOp(
                        op.index(),
                        op.timeNanos(),
                        OpType.FAIL,
                        op.process(),
                        op.f(),
                        op.key(),
                        op.value(),
                        FAILED_NOTE + " (was: " + op.error() + ")",
                        op.finalPhase()));
            } else {
                throw new IllegalArgumentException("op " + op.index() + " resolved to " + to + ": only ok or fail");
            }
        }
        for (Integer index : outcomes.keySet()) {
            if (index < 0 || index >= original.size() || original.get(index).type() != OpType.INFO) {
                throw new IllegalArgumentException("op " + index + " resolved, but it is not an :info completion");
            }
        }
        return new InfoResolution(List.copyOf(out), info, ok, failed);
    }

    /** What results record under {@code run}: {@code info-resolved}. */
    Map<String, Object> asFact(String source) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("source", source);
        m.put("info", info);
        m.put("resolved", ok + failed);
        m.put("ok", ok);
        m.put("failed", failed);
        m.put("original-history", "history-original.edn");
        return m;
    }
}
