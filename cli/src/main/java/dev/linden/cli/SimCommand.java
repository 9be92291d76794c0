package dev.linden.cli;

import dev.linden.nemesis.FaultKind;
import dev.linden.sim.SimConfig;
import dev.linden.sim.SimResult;
import dev.linden.sim.Simulation;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./linden sim}: deterministic simulated clusters under faults, checked for safety, liveness and
 * linearizability. One line per seed, then a summary; exit 0 all passed, 1 safety or linearizability
 * violation, 2 liveness failure, 3 harness error (or a check that could not decide).
 */
@Command(name = "sim", mixinStandardHelpOptions = true,
        description = "Run simulated clusters under faults and check them (deterministic per seed).")
public final class SimCommand implements Callable<Integer> {
    @Option(names = "--seeds", description = "how many seeds to run (default 20)")
    int seeds = 20;

    @Option(names = "--first-seed", description = "first seed of the sweep (default 1)")
    long firstSeed = 1;

    @Option(names = "--seed", description = "run exactly this seed")
    Long seed;

    @Option(names = "--nodes", description = "cluster size, 3 or 5 (default 3)")
    int nodes = 3;

    @Option(names = "--duration", description = "simulated seconds of the fault phase (default 30)")
    double durationSeconds = 30;

    @Option(names = "--faults", description = "all, none, or a list of: partition, clog, loss, duplicate, reorder, "
            + "crash, pause, clock, disk-full, bitflip, disk-loss (default all)")
    String faults = "all";

    @Option(names = "--clients", description = "client processes (default 5)")
    int clients = 5;

    @Option(names = "--workload", description = "register or append (default register)")
    String workload = "register";

    @Option(names = "--intensity", description = "fault rate multiplier: 0.1 rare ... 1 default ... 10 storm")
    double intensity = 1.0;

    @Option(names = "--threads", description = "seeds run in parallel (default: cores)")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--bug", description = "run a deliberately broken variant: local-reads (no ReadIndex), "
            + "fsync-lies (acks before data is durable) or empty-rejoin (a node whose disk was replaced rejoins "
            + "as a new voter)")
    String bug;

    @Option(names = "--save-history", description = "directory to save the history of each failing seed (EDN)")
    java.nio.file.Path saveHistory;

    @Option(names = "--verbose", description = "print the detail of every failure in full")
    boolean verbose;

    @Override
    public Integer call() {
        return run(System.out, System.err);
    }

    int run(PrintStream out, PrintStream err) {
        Set<FaultKind> faultSet;
        try {
            faultSet = FaultKind.parseList(faults);
        } catch (IllegalArgumentException e) {
            err.println("linden sim: " + e.getMessage());
            return 3;
        }
        if ((nodes != 3 && nodes != 5) || seeds < 1 || durationSeconds < 0.1 || clients < 1 || threads < 1
                || !(intensity > 0) || intensity > 10
                || !(workload.equals("register") || workload.equals("append"))
                || (bug != null && !List.of("local-reads", "fsync-lies", "empty-rejoin").contains(bug))) {
            err.println("linden sim: need --nodes 3|5, --seeds >= 1, --duration >= 0.1, --clients >= 1, "
                    + "--workload register|append, --bug local-reads|fsync-lies|empty-rejoin");
            return 3;
        }
        List<Long> todo = new ArrayList<>();
        if (seed != null) {
            todo.add(seed);
        } else {
            for (int i = 0; i < seeds; i++) {
                todo.add(firstSeed + i);
            }
        }
        SimConfig base = SimConfig.defaults(0).withNodes(nodes).withClients(clients)
                .withDurationMillis((long) (durationSeconds * 1000)).withFaults(faultSet).withWorkload(workload)
                .withFaultIntensity(intensity).withUnsafeLocalReads("local-reads".equals(bug)).withFsyncLies("fsync-lies".equals(bug))
                .withForceEmptyRejoin("empty-rejoin".equals(bug));
        long wallStart = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(threads, todo.size()), r -> {
            Thread t = new Thread(r, "sim");
            t.setDaemon(true);
            return t;
        });
        List<SimResult> results = new ArrayList<>();
        try {
            List<Future<SimResult>> futures = new ArrayList<>();
            for (long s : todo) {
                futures.add(pool.submit(() -> Simulation.run(base.withSeed(s), saveHistory)));
            }
            for (Future<SimResult> f : futures) {
                SimResult r = f.get();
                results.add(r);
                out.println("seed=" + r.seed() + " ops=" + r.ops() + " faults=" + r.faultsInjected() + " verdict="
                        + r.verdict() + " trace-hash: " + r.traceHashHex());
                if (!r.passed()) {
                    String d = r.detail();
                    if (!verbose && d.length() > 2000) {
                        d = d.substring(0, 2000) + " ... (--verbose for all)";
                    }
                    out.println("  " + d.replace("\n", "\n  "));
                }
                out.flush();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 3;
        } catch (ExecutionException e) {
            err.println("linden sim: " + e.getCause());
            return 3;
        } finally {
            pool.shutdownNow();
        }
        long wall = System.nanoTime() - wallStart;
        long simNanos = results.stream().mapToLong(SimResult::simNanos).sum();
        long cpuNanos = results.stream().mapToLong(SimResult::wallNanos).sum();
        long events = results.stream().mapToLong(SimResult::events).sum();
        long failed = results.stream().filter(r -> !r.passed()).count();
        long checkNanos = results.stream().mapToLong(SimResult::checkNanos).sum();
        out.printf("summary: %d seeds, %d passed, %d failed; simulated %.1f s in %.1f s wall: %.0fx time compression "
                        + "(%.0fx per core), %.2fM events/s, %.0f seeds/min, %.0f%% of the time in the checker%n",
                results.size(), results.size() - failed, failed, simNanos / 1e9, wall / 1e9, (double) simNanos / wall,
                (double) simNanos / Math.max(1, cpuNanos), events / (wall / 1e9) / 1e6, results.size() / (wall / 60e9),
                100.0 * checkNanos / Math.max(1, cpuNanos));
        int exit = 0;
        for (SimResult r : results) {
            if (!r.passed()) {
                out.println("replay: ./linden sim --seed " + r.seed() + " --nodes " + nodes + " --duration "
                        + trim(durationSeconds) + " --faults " + faults + " --clients " + clients + " --workload "
                        + workload + (intensity == 1.0 ? "" : " --intensity " + intensity)
                        + (bug == null ? "" : " --bug " + bug));
                exit = exit == 0 ? r.exitCode() : exit == 1 || r.exitCode() == 1 ? 1 : Math.min(exit, r.exitCode());
            }
        }
        return exit;
    }

    private static String trim(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
    }
}
