package dev.linden.cli;

import dev.linden.harness.TestResult;
import dev.linden.harness.TestSpec;
import dev.linden.nemesis.FaultSchedule;
import dev.linden.sim.SimOptions;
import dev.linden.sim.Simulation;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code ./linden sim --canaries}: the simulator scores itself. Each planted bug ({@link SimOptions.Canary})
 * runs on the test most likely to expose it, seed after seed, until a run is invalid or the budget is
 * spent; one line per bug, then {@code canaries: N/M caught}. A bug no longer caught means the
 * simulator (or a check) went blind, and the command exits 1.
 */
final class Canaries {
    private Canaries() {}

    /** The test a canary runs on: workload, faults, cluster and pace. */
    /**
     * @param blindSpot why the simulator is known not to catch this bug yet (null: it must be caught; a
     *                  known blind spot that gets caught is reported as news)
     */
    record Hunt(
            SimOptions.Canary bug,
            String workload,
            String nemesis,
            int nodes,
            double intensity,
            int concurrency,
            int keys,
            String blindSpot) {
        Hunt(
                SimOptions.Canary bug,
                String workload,
                String nemesis,
                int nodes,
                double intensity,
                int concurrency,
                int keys) {
            this(bug, workload, nemesis, nodes, intensity, concurrency, keys, null);
        }

        TestSpec spec(long seed, double timeLimitSeconds) {
            return Simulation.test(new SimOptions(Set.of(bug)))
                    .name("canary-" + bug.cliName())
                    .workload(workload)
                    .nemesis(nemesis)
                    .nodes(nodes)
                    .concurrency(concurrency)
                    .keys(keys)
                    .schedule(FaultSchedule.Options.defaults(Set.of(), nodes).withIntensity(intensity))
                    .timeLimitSeconds(timeLimitSeconds)
                    .seed(seed)
                    .build();
        }
    }

    static List<Hunt> hunts() {
        List<Hunt> h = new ArrayList<>();
        h.add(new Hunt(SimOptions.Canary.UNSAFE_READS, "kv", "partition,pause,kill", 3, 1, 8, 2));
        h.add(new Hunt(SimOptions.Canary.FSYNC_LIES, "kv", "all", 3, 1, 5, 5));
        // Caught since directory entries are volatile until the directory is synced: a crash can then lose
        // a renamed hard state or a new segment, which the durable-vote and durability monitors see.
        h.add(new Hunt(SimOptions.Canary.NO_DIR_SYNC, "kv", "kill", 3, 3, 5, 3));
        h.add(new Hunt(SimOptions.Canary.EMPTY_REJOIN, "kv", "wipe-disk,kill,partition", 3, 5, 5, 5));
        // A follower that acknowledged the newest entries loses them (its WAL cut or its segments deleted) while
        // the other lags and the leader is paused or killed: trusting its log, it helps elect a leader without
        // them, which the leader-completeness monitor sees.
        h.add(new Hunt(
                SimOptions.Canary.TRUST_LOST_LOG, "kv", "lose-tail,lose-segments,kill,partition,pause", 3, 3, 5, 5));
        h.add(new Hunt(SimOptions.Canary.NO_DEDUP, "list-append", "loss,kill,partition,pause", 3, 2, 5, 3));
        h.add(new Hunt(SimOptions.Canary.VOTE_WITHOUT_LOG_CHECK, "kv", "partition,kill", 3, 2, 5, 3));
        // Caught by the simulator's own commit-rule monitor (it never was by its effects: the overwrite
        // that makes Figure 8 visible almost never lines up under random faults).
        h.add(new Hunt(SimOptions.Canary.COMMIT_BY_COUNTING, "kv", "partition,kill", 5, 3, 5, 3));
        // Caught since a monitor reads the durable hard state off the simulated disk at every send; random
        // crashes almost never hit the moment between a vote and the end of that election.
        h.add(new Hunt(SimOptions.Canary.VOTE_NOT_PERSISTED, "kv", "kill,partition", 3, 3, 5, 3));
        h.add(new Hunt(SimOptions.Canary.ACK_BEFORE_DURABLE, "kv", "kill", 3, 3, 5, 3));
        // Caught since kills can land inside an fsync (a crash point inside I/O); random kills never did.
        h.add(new Hunt(SimOptions.Canary.LEADER_COUNTS_UNDURABLE_SELF, "kv", "kill,partition", 3, 3, 5, 3));
        h.add(new Hunt(SimOptions.Canary.READ_INDEX_WITHOUT_QUORUM, "kv", "partition,pause", 3, 1, 8, 2));
        // Caught by the liveness monitor: while a long partial partition leaves a majority connected, the
        // node cut off in part keeps raising the term.
        h.add(new Hunt(SimOptions.Canary.NO_PRE_VOTE, "kv", "long-partition", 3, 1, 5, 3));
        // Caught when clock drift makes a deposed leader's lease outlast its voters' election timeout.
        h.add(new Hunt(SimOptions.Canary.LEASE_WITHOUT_DRIFT_BOUND, "kv", "partition,clock", 3, 3, 8, 2));
        h.add(new Hunt(SimOptions.Canary.NO_TRUNCATE_ON_CONFLICT, "kv", "partition,kill", 3, 2, 5, 3));
        // A replacement asks for the new voter and the removal at once: with the bug both go in flight, and a
        // partition then lets the old configuration and the new one each elect a leader.
        h.add(new Hunt(SimOptions.Canary.CONCURRENT_MEMBERSHIP_CHANGES, "kv", "membership,partition", 3, 4, 5, 3));
        return h;
    }

    static int run(PrintStream out, int seedsPerBug, long firstSeed, double timeLimitSeconds, int threads)
            throws InterruptedException, ExecutionException {
        long wallStart = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "canary");
            t.setDaemon(true);
            return t;
        });
        int caught = 0;
        int missed = 0;
        List<String> blind = new ArrayList<>();
        List<Hunt> hunts = hunts();
        try {
            for (Hunt h : hunts) {
                long t0 = System.nanoTime();
                TestResult found = null;
                int tried = 0;
                // Seeds in rounds of `threads`, in order: the first failing seed of the sweep is reported.
                for (long s = firstSeed; s < firstSeed + seedsPerBug && found == null; s += threads) {
                    List<Future<TestResult>> round = new ArrayList<>();
                    for (long x = s; x < Math.min(s + threads, firstSeed + seedsPerBug); x++) {
                        TestSpec spec = h.spec(x, timeLimitSeconds);
                        round.add(pool.submit(spec::run));
                    }
                    for (Future<TestResult> f : round) {
                        TestResult r = f.get();
                        tried++;
                        if (r.exitCode() == 1 && found == null) {
                            found = r;
                        }
                        if (found != null) {
                            break;
                        }
                    }
                }
                double secs = (System.nanoTime() - t0) / 1e9;
                if (found != null) {
                    caught++;
                    if (h.blindSpot() != null) {
                        out.println("  (news: this was a known blind spot: " + h.blindSpot() + ")");
                    }
                    String why = found.results().get("why") instanceof List<?> l && !l.isEmpty()
                            ? String.valueOf(l.get(0))
                            : "";
                    out.printf(
                            "canary=%s caught at seed %d (%d seeds, %.1f s): %s%n",
                            h.bug().cliName(),
                            found.seed(),
                            found.seed() - firstSeed + 1,
                            secs,
                            why.length() > 160 ? why.substring(0, 160) + "..." : why);
                } else if (h.blindSpot() != null) {
                    blind.add(h.bug().cliName());
                    out.printf(
                            "canary=%s not caught in %d seeds (%.1f s), a known blind spot: %s%n",
                            h.bug().cliName(), tried, secs, h.blindSpot());
                } else {
                    missed++;
                    out.printf(
                            "canary=%s NOT CAUGHT in %d seeds (%.1f s): %s. The simulator or a check went blind.%n",
                            h.bug().cliName(), tried, secs, h.bug().what());
                }
                out.flush();
            }
        } finally {
            pool.shutdownNow();
        }
        out.printf(
                "canaries: %d/%d caught (%d seeds each at most, %.0f s of simulated time per seed, %.1f s wall)%s%n",
                caught,
                hunts.size(),
                seedsPerBug,
                timeLimitSeconds,
                (System.nanoTime() - wallStart) / 1e9,
                blind.isEmpty() ? "" : "; known blind spots: " + String.join(", ", blind));
        return missed == 0 ? 0 : 1;
    }
}
