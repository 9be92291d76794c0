package dev.linden.realenv;

import dev.linden.kvnode.net.Wire;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * What the nodes of a {@link LocalTestCluster} say about themselves, through the harness's own client: their
 * statuses (cached briefly, as the runner asks often), the leader a majority agrees on, whether they converged,
 * and a one-line description for failures.
 */
final class LocalStatus {
    private static final long MS = 1_000_000L;
    private static final long STATUS_EVERY_MILLIS = 500;
    private static final long ANSWER_TIMEOUT_MILLIS = 1_000;

    private final LocalTestCluster cluster;
    private long lastStatusNanos = Long.MIN_VALUE;
    private Map<Integer, Wire.StatusResponse> lastStatus = Map.of();
    /** The highest commit index any node announced in a status (the disk audit's committed prefix). */
    private long maxCommitIndex;

    LocalStatus(LocalTestCluster cluster) {
        this.cluster = cluster;
    }

    /** Statuses of the nodes that answer (cached for {@link #STATUS_EVERY_MILLIS} unless {@code fresh}). */
    synchronized Map<Integer, Wire.StatusResponse> status(boolean fresh) {
        long now = System.nanoTime();
        if (!fresh && now - lastStatusNanos < STATUS_EVERY_MILLIS * MS) {
            return lastStatus;
        }
        Map<Integer, CompletableFuture<Wire.StatusResponse>> asked = new TreeMap<>();
        for (int id : cluster.nodes()) {
            if (cluster.alive(id) && !cluster.paused.contains(id)) {
                asked.put(id, cluster.statusClient().status(id));
            }
        }
        Map<Integer, Wire.StatusResponse> out = new TreeMap<>();
        asked.forEach((id, f) -> {
            try {
                out.put(id, f.get(ANSWER_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS));
            } catch (Exception e) {
                // not answering
            }
        });
        lastStatusNanos = System.nanoTime();
        lastStatus = out;
        out.values().forEach(r -> maxCommitIndex = Math.max(maxCommitIndex, r.commitIndex()));
        return out;
    }

    synchronized long maxCommitIndex() {
        return maxCommitIndex;
    }

    /** The leader a majority agrees on, or -1. */
    int leader(boolean fresh) {
        Map<Integer, Wire.StatusResponse> s = status(fresh);
        for (Wire.StatusResponse r : s.values()) {
            if (r.role().equals("LEADER")) {
                long agree = s.values().stream()
                        .filter(o -> o.leaderId() == r.nodeId() && o.term() == r.term())
                        .count();
                if (agree > cluster.nodes().size() / 2) {
                    return r.nodeId();
                }
            }
        }
        return -1;
    }

    /** Every node that did not refuse a damaged data dir answers and has applied all that any has committed. */
    boolean converged() {
        Map<Integer, Wire.StatusResponse> s = status(false);
        long applied = -1;
        long commit = 0;
        for (int id : cluster.nodes()) {
            if (cluster.refused.contains(id)) {
                continue;
            }
            Wire.StatusResponse r = s.get(id);
            if (r == null) {
                return false;
            }
            if (applied >= 0 && r.appliedIndex() != applied) {
                return false;
            }
            applied = r.appliedIndex();
            commit = Math.max(commit, r.commitIndex());
        }
        return applied >= commit;
    }

    /** One line: each node's role, term, commit and applied index, or why it says nothing. */
    String describe() {
        Map<Integer, Wire.StatusResponse> s = status(true);
        StringBuilder b = new StringBuilder();
        for (int id : cluster.nodes()) {
            Wire.StatusResponse r = s.get(id);
            b.append(b.length() == 0 ? "" : "; ").append(id).append('=');
            if (cluster.refused.contains(id)) {
                b.append("refused to start (").append(cluster.lastLines(id, 1)).append(')');
            } else if (r == null) {
                b.append(cluster.alive(id) ? (cluster.paused.contains(id) ? "paused" : "not answering") : "down");
            } else {
                b.append(r.role())
                        .append("/t")
                        .append(r.term())
                        .append(" commit ")
                        .append(r.commitIndex())
                        .append(" applied ")
                        .append(r.appliedIndex())
                        .append(" pid ")
                        .append(cluster.processes.get(id).pid());
            }
        }
        return b.toString();
    }
}
