package dev.linden.harness;

import dev.linden.checker.history.OpType;
import dev.linden.nemesis.Nemesis;
import dev.linden.workloads.Client;
import dev.linden.workloads.HistoryOp;
import dev.linden.workloads.Workload;
import dev.linden.workloads.check.CheckOutcome;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The system under test, as the runner sees it: nodes, a scheduler, clients, a nemesis bound to this
 * world, and what only the cluster can tell (whether replicas converged, invariants it watched). The
 * simulator implements it on one event loop; real node processes implement it on sockets and signals.
 */
public interface Cluster extends AutoCloseable {
    /** Builds a cluster for one test run. */
    @FunctionalInterface
    interface Factory {
        /**
         * @param seed  the run's seed (a simulated cluster derives everything from it)
         * @param nodes how many nodes
         */
        Cluster create(long seed, int nodes);
    }

    /** What kind of cluster this is, for test.json: "sim", "local", ... */
    String env();

    List<Integer> nodes();

    Scheduler scheduler();

    /** Starts every node; returns once the cluster can take requests (or throws: a harness error). */
    void start();

    /** A client for one worker thread of the test, performing {@code workload}'s operations. */
    Client client(int thread, Workload workload);

    Nemesis nemesis();

    /**
     * Whether every replica that is up has applied the same state and nothing committed is left
     * unapplied. The runner polls it once the clients stop, until it holds or a deadline passes.
     */
    boolean converged();

    /**
     * Why the cluster stopped the run on its own (the simulator stops at a safety violation: what follows
     * would only obscure it), or null. The runner then skips the remaining phases.
     */
    default String halted() {
        return null;
    }

    /** The nodes' states in one line, for failure messages ("1=LEADER/t3 applied 812, 2=down, ..."). */
    String describe();

    /**
     * Checks only the cluster can make, over the run it watched (the simulator: Raft's safety
     * invariants, and that every acknowledged write is in the applied log). Not re-run by analyze: their
     * outcomes are stored.
     */
    List<CheckOutcome> invariants(List<HistoryOp> history);

    /**
     * What the cluster's own records tell of {@code history}'s {@code :info} operations, once the run is over
     * (called after {@link #invariants}): the history index of each {@code :info} completion it could decide,
     * to {@link OpType#OK} (it happened) or {@link OpType#FAIL} (it certainly did not). Null if the cluster
     * cannot tell; the checks then judge the history as recorded.
     */
    default Map<Integer, OpType> resolveInfo(List<HistoryOp> history) {
        return null;
    }

    /** Facts about the run for results (simulated time, events, trace hash), in a stable order. */
    Map<String, Object> facts();

    /** Copies each node's log into {@code dir}/n{id}/. */
    void collectLogs(Path dir) throws IOException;

    @Override
    void close();
}
