package dev.linden.harness;

import dev.linden.checker.history.OpType;
import dev.linden.nemesis.FaultSchedule;
import dev.linden.nemesis.Nemesis;
import dev.linden.reports.Report;
import dev.linden.workloads.Client;
import dev.linden.workloads.HistoryOp;
import dev.linden.workloads.Workload;
import dev.linden.workloads.check.CheckOutcome;
import dev.linden.workloads.check.Validity;
import dev.linden.workloads.gen.Gen;
import dev.linden.workloads.gen.Generator;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;

/**
 * Runs one {@link TestSpec}, as Jepsen's runner does: it drives the run's phases, while its
 * {@link Interpreter} hands the generator's operations to clients and the nemesis and records every
 * invocation and completion. Everything happens as tasks of the cluster's {@link Scheduler}, so on the
 * simulator the whole run is one thread and a function of the seed.
 *
 * <p>Phases: setup (cluster start, nemesis setup); main (the workload's operations at the test's rate and
 * the fault schedule, for the time limit; then in-flight operations complete); heal (one nemesis
 * {@code heal} operation); recovery wait; final (the workload's final reads, each retried until it
 * succeeds, within a limit); convergence (until every replica applied the same state); teardown and
 * checks. Each phase has a wall-clock deadline; past it, or on any harness failure, the run stops, and
 * what was recorded is still checked where possible and stored.
 */
final class Runner {
    private static final long MS = 1_000_000L;
    /** Bound on the history: past it the main phase ends early (and results say so). */
    static final int MAX_HISTORY_OPS = 4_000_000;

    private final TestSpec spec;
    private final SplittableRandom random;
    private final Workload workload;
    private final List<HistoryOp> history = new ArrayList<>();
    /** The history as recorded, when the cluster resolved some of its :info operations (else null). */
    private List<HistoryOp> originalHistory;

    private final HarnessFailure failure = new HarnessFailure();
    private final RunProgress progress;
    private Cluster cluster;
    private Scheduler sched;
    private Nemesis nemesis;
    private Client[] clients;
    private Interpreter interpreter;

    private String phase = "setup";
    /** Wall-clock milliseconds spent in each phase, in order (results: {@code phase-wall-millis}). */
    private final LinkedHashMap<String, Long> phaseWallMillis = new LinkedHashMap<>();

    private long phaseStartedNanos = System.nanoTime();
    private long phaseWallDeadline;
    /** The run's directory in the store, once its history and results are written there. */
    private Path storedDir;

    private Runner(TestSpec spec) {
        this.spec = spec;
        this.random = new SplittableRandom(spec.seed() ^ 0x5DEECE66DL);
        this.workload = Workload.named(spec.workload(), spec.keys());
        this.progress = new RunProgress(spec.progress(), spec.progressEveryMillis());
    }

    static TestResult run(TestSpec spec) {
        return new Runner(spec).execute();
    }

    private TestResult execute() {
        long wallStart = System.nanoTime();
        Store store = null;
        Map<String, Object> facts = new LinkedHashMap<>();
        List<CheckOutcome> recorded = new ArrayList<>();
        try {
            if (spec.storeRoot() != null) {
                store = Store.create(spec.storeRoot(), spec.name());
                store.writeTest(spec);
            }
            runPhases(recorded, facts);
        } catch (RuntimeException | Error e) {
            failure.set("harness error in phase " + phase + ": " + stackTrace(e));
        } catch (IOException e) {
            failure.set("harness error: cannot write the store: " + e);
        } finally {
            teardown(store);
        }
        facts.put("wall-millis", (System.nanoTime() - wallStart) / 1_000_000);
        facts.put("phase-wall-millis", new LinkedHashMap<>(phaseWallMillis));
        Map<String, Object> results = check(recorded, facts);
        if (store != null) {
            results = store(store, results);
        }
        Validity v = Validity.parse(results.get("valid"));
        int exit = failure.occurred() ? 3 : v.exitCode();
        return new TestResult(
                spec.name(),
                spec.seed(),
                v,
                exit,
                failure.message(),
                results,
                List.copyOf(history),
                storedDir,
                spec.replayCommand());
    }

    /**
     * Setup to convergence; what the cluster checked goes to {@code recorded} (convergence first), what it
     * says of itself to {@code facts}.
     */
    private void runPhases(List<CheckOutcome> recorded, Map<String, Object> facts) {
        cluster = spec.cluster().create(spec.seed(), spec.nodes());
        sched = cluster.scheduler();
        setup();
        mainPhase();
        if (cluster.halted() == null) {
            heal();
        }
        if (!failure.occurred() && cluster.halted() == null) {
            runPhase("recovery-wait", sched.nowNanos() + spec.recoveryWaitMillis() * MS, () -> false);
        }
        if (cluster.halted() == null) {
            finalReads();
        }
        CheckOutcome convergence = cluster.halted() == null ? convergence() : skipped("convergence", cluster.halted());
        if (convergence != null) {
            recorded.add(convergence);
        }
        recorded.addAll(cluster.invariants(List.copyOf(history)));
        facts.putAll(cluster.facts());
        sharpen(facts);
        if (interpreter.historyFull()) {
            facts.put(
                    "history-full",
                    "the history reached " + MAX_HISTORY_OPS + " operations; the main phase ended early");
        }
    }

    /**
     * The history the checks judge becomes the sharper one the cluster's records give (:info operations
     * resolved); the one recorded is kept, and stored beside it.
     */
    private void sharpen(Map<String, Object> facts) {
        Map<Integer, OpType> outcomes = cluster.resolveInfo(List.copyOf(history));
        if (outcomes == null) {
            return;
        }
        InfoResolution r = InfoResolution.apply(history, outcomes);
        originalHistory = List.copyOf(history);
        history.clear();
        history.addAll(r.history());
        facts.put("info-resolved", r.asFact(cluster.env() + " nodes' WALs"));
    }

    /** The results: the workload's checks of the history, with {@code recorded} and {@code facts}. */
    private Map<String, Object> check(List<CheckOutcome> recorded, Map<String, Object> facts) {
        try {
            return Results.assemble(
                    spec.name(),
                    spec.seed(),
                    spec.workload(),
                    spec.keys(),
                    spec.nemesisConfigured(),
                    spec.checkOptions(),
                    spec.extraChecks(),
                    history,
                    recorded,
                    facts,
                    failure.message());
        } catch (RuntimeException e) {
            failure.append("harness error while checking: " + stackTrace(e));
            return Results.errorOnly(spec.name(), spec.seed(), failure.message(), facts);
        }
    }

    /** Writes the history, the results and the report; if that fails, the results become unknown. */
    private Map<String, Object> store(Store store, Map<String, Object> results) {
        try {
            store.writeHistory(history);
            if (originalHistory != null) {
                store.writeOriginalHistory(originalHistory);
            }
            store.writeResults(results);
            store.linkLatest();
            storedDir = store.dir();
            Report.render(storedDir); // index.html: what a person opens after the run
            return results;
        } catch (IOException | RuntimeException e) {
            failure.append("harness error: cannot write the store: " + e);
            Map<String, Object> unknown = new LinkedHashMap<>(results);
            unknown.put("valid", "unknown");
            unknown.put("error", failure.message());
            return unknown;
        }
    }

    // ------------------------------------------------------------------ phases

    private void setup() {
        enter("setup");
        cluster.start();
        nemesis = cluster.nemesis();
        nemesis.setup();
        clients = new Client[spec.concurrency()];
        for (int t = 0; t < clients.length; t++) {
            clients[t] = cluster.client(t, workload);
        }
        interpreter = new Interpreter(spec, random, sched, nemesis, clients, history, failure, progress);
    }

    private void mainPhase() {
        enter("main");
        Generator clientGen = spec.clientGenerator() != null ? spec.clientGenerator() : workload.generator();
        int readers = spec.readOnlyClients();
        if (readers > 0) {
            clientGen = Gen.mix(List.of(
                    Gen.onThreads(spec.concurrency(), t -> t < readers, workload.readOnlyGenerator()),
                    Gen.onThreads(spec.concurrency(), t -> t >= readers, clientGen)));
        }
        long meanGapNanos = Math.max(1, (long) (1e9 / spec.rate()));
        Generator faults =
                spec.nemesisGenerator() != null ? spec.nemesisGenerator() : new FaultSchedule(spec.schedule());
        Generator gen = Gen.timeLimit(
                spec.timeLimitMillis() * MS,
                Gen.any(List.of(Gen.clients(Gen.stagger(meanGapNanos, clientGen)), Gen.nemesis(faults))));
        long start = sched.nowNanos();
        progress.startAt(start);
        interpreter.start(gen);
        runPhase(
                "main",
                start + (spec.timeLimitMillis() + 60_000) * MS,
                () -> interpreter.genDone() && interpreter.idle());
        // In-flight operations end by their clients' own deadlines.
        runPhase("main (draining)", sched.nowNanos() + 120_000 * MS, interpreter::idle);
    }

    private void heal() {
        if (failure.occurred()) {
            return;
        }
        enter("heal");
        interpreter.heal();
        runPhase("heal", sched.nowNanos() + 60_000 * MS, () -> !interpreter.nemesisBusy());
    }

    private void finalReads() {
        if (failure.occurred()) {
            return;
        }
        enter("final");
        interpreter.startFinal(workload.finalOps());
        runPhase(
                "final",
                sched.nowNanos() + spec.finalTimeLimitMillis() * MS,
                () -> interpreter.finalDone() && interpreter.idle());
        interpreter.dropFinal();
        runPhase("final (draining)", sched.nowNanos() + 120_000 * MS, interpreter::idle);
    }

    private CheckOutcome convergence() {
        if (failure.occurred()) {
            return null;
        }
        enter("convergence");
        long start = sched.nowNanos();
        boolean ok = runPhase("convergence", start + spec.convergenceMillis() * MS, cluster::converged);
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("converged", ok);
        d.put("millis", (sched.nowNanos() - start) / MS);
        d.put("limit-millis", spec.convergenceMillis());
        String nodes = cluster.describe();
        if (!ok) {
            d.put(
                    "why",
                    "replicas did not converge within " + spec.convergenceMillis()
                            + " ms after the clients stopped (every replica that is up must apply the same log): "
                            + nodes);
        }
        d.put("nodes", nodes);
        return new CheckOutcome("convergence", Validity.of(ok), d);
    }

    private static CheckOutcome skipped(String name, String why) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("skipped", true);
        d.put("why", "not checked: the cluster stopped the run (" + why + ")");
        return new CheckOutcome(name, Validity.UNKNOWN, d);
    }

    private void teardown(Store store) {
        String was = phase;
        enter("teardown");
        try {
            if (nemesis != null) {
                nemesis.teardown();
            }
            if (clients != null) {
                for (Client c : clients) {
                    if (c != null) {
                        c.close();
                    }
                }
            }
            if (store != null && cluster != null) {
                cluster.collectLogs(store.dir().resolve("nodes"));
            }
        } catch (RuntimeException | IOException e) {
            failure.setIfFirst("harness error in teardown: " + stackTrace(e));
        } finally {
            if (cluster != null) {
                try {
                    cluster.close();
                } catch (RuntimeException e) {
                    failure.setIfFirst("harness error closing the cluster: " + stackTrace(e));
                }
            }
            enter(was); // failures after it name the phase the run was in
        }
    }

    /** Ends the phase in progress (its wall time is added up) and begins {@code name}. */
    private void enter(String name) {
        long now = System.nanoTime();
        phaseWallMillis.merge(phase, (now - phaseStartedNanos) / 1_000_000, Long::sum);
        phase = name;
        phaseStartedNanos = now;
    }

    /** Runs the scheduler until {@code done}, the deadline (run time), or the phase's wall-clock deadline. */
    private boolean runPhase(String name, long deadlineNanos, BooleanSupplier done) {
        if (failure.occurred()) {
            return false;
        }
        enter(name);
        phaseWallDeadline = System.nanoTime() + spec.phaseWallLimitMillis() * MS;
        boolean[] wallExpired = {false};
        boolean ok = sched.runUntil(deadlineNanos, () -> {
            if (progress.due(sched.nowNanos())) {
                progress.print(sched.nowNanos(), phase, interpreter.inFlight());
            }
            if (failure.occurred()) {
                return true;
            }
            if (System.nanoTime() > phaseWallDeadline) {
                wallExpired[0] = true;
                return true;
            }
            return done.getAsBoolean();
        });
        if (wallExpired[0]) {
            failure.setIfFirst("harness error: phase " + name + " exceeded its wall-clock limit of "
                    + spec.phaseWallLimitMillis() + " ms (the run was stopped; what was recorded is stored)");
        }
        return ok && !failure.occurred() && done.getAsBoolean();
    }

    static String stackTrace(Throwable e) {
        StringWriter w = new StringWriter();
        e.printStackTrace(new PrintWriter(w));
        String s = w.toString();
        return s.length() > 4000 ? s.substring(0, 4000) + "..." : s;
    }
}
