package dev.linden.harness;

import dev.linden.checker.history.OpType;
import dev.linden.nemesis.Fault;
import dev.linden.nemesis.FaultOps;
import dev.linden.nemesis.FaultSchedule;
import dev.linden.nemesis.Nemesis;
import dev.linden.reports.Report;
import dev.linden.workloads.Client;
import dev.linden.workloads.HistoryOp;
import dev.linden.workloads.Workload;
import dev.linden.workloads.check.CheckOutcome;
import dev.linden.workloads.check.Validity;
import dev.linden.workloads.gen.Context;
import dev.linden.workloads.gen.Gen;
import dev.linden.workloads.gen.Generator;
import dev.linden.workloads.gen.Op;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Runs one {@link TestSpec}, as Jepsen's interpreter does: it asks the generator for operations, hands
 * client operations to worker threads' clients and fault operations to the nemesis, and records every
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

    private static final long FINAL_RETRY_NANOS = 500 * MS;

    private final TestSpec spec;
    private final SplittableRandom random;
    private final Workload workload;
    private final List<HistoryOp> history = new ArrayList<>();
    private Cluster cluster;
    private Scheduler sched;
    private Nemesis nemesis;
    private Client[] clients;
    private int[] processOf;
    private boolean[] busy;
    private boolean nemesisBusy;

    private Generator gen;
    private boolean genDone;
    private Generator.Emit pendingEmit;
    private long wakeToken;
    private boolean pumping;
    private boolean pumpAgain;

    private boolean finalPhase;
    private final Deque<Op> finalQueue = new ArrayDeque<>();
    private final TreeMap<Long, List<Op>> finalRetries = new TreeMap<>();
    private int finalSucceeded;
    private int finalWanted;

    private String phase = "setup";
    /** Wall-clock milliseconds spent in each phase, in order (results: {@code phase-wall-millis}). */
    private final LinkedHashMap<String, Long> phaseWallMillis = new LinkedHashMap<>();

    private long phaseStartedNanos = System.nanoTime();
    private long phaseWallDeadline;
    private String error;
    private boolean historyFull;
    private final Map<String, String> activeFaults = new TreeMap<>();
    private long nextProgressNanos;
    private final long[] counts = new long[3]; // ok, fail, info
    private long invoked;

    private Runner(TestSpec spec) {
        this.spec = spec;
        this.random = new SplittableRandom(spec.seed() ^ 0x5DEECE66DL);
        this.workload = Workload.named(spec.workload(), spec.keys());
    }

    static TestResult run(TestSpec spec) {
        return new Runner(spec).execute();
    }

    private TestResult execute() {
        long wallStart = System.nanoTime();
        Store store = null;
        Map<String, Object> facts = new LinkedHashMap<>();
        CheckOutcome convergence = null;
        List<CheckOutcome> invariants = List.of();
        try {
            if (spec.storeRoot() != null) {
                store = Store.create(spec.storeRoot(), spec.name());
                store.writeTest(spec);
            }
            cluster = spec.cluster().create(spec.seed(), spec.nodes());
            sched = cluster.scheduler();
            setup();
            mainPhase();
            if (cluster.halted() == null) {
                heal();
            }
            if (error == null && cluster.halted() == null) {
                runPhase("recovery-wait", sched.nowNanos() + spec.recoveryWaitMillis() * MS, () -> false);
            }
            if (cluster.halted() == null) {
                finalReads();
            }
            convergence = cluster.halted() == null ? convergence() : skipped("convergence", cluster.halted());
            invariants = cluster.invariants(List.copyOf(history));
            facts.putAll(cluster.facts());
            if (historyFull) {
                facts.put(
                        "history-full",
                        "the history reached " + MAX_HISTORY_OPS + " operations; the main phase ended early");
            }
        } catch (RuntimeException | Error e) {
            error = "harness error in phase " + phase + ": " + stackTrace(e);
        } catch (IOException e) {
            error = "harness error: cannot write the store: " + e;
        } finally {
            teardown(store);
        }
        facts.put("wall-millis", (System.nanoTime() - wallStart) / 1_000_000);
        facts.put("phase-wall-millis", new LinkedHashMap<>(phaseWallMillis));
        Map<String, Object> results;
        List<CheckOutcome> recorded = new ArrayList<>();
        if (convergence != null) {
            recorded.add(convergence);
        }
        recorded.addAll(invariants);
        try {
            results = Results.assemble(
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
                    error);
        } catch (RuntimeException e) {
            error = (error == null ? "" : error + "\n") + "harness error while checking: " + stackTrace(e);
            results = Results.errorOnly(spec.name(), spec.seed(), error, facts);
        }
        Path dir = null;
        if (store != null) {
            try {
                store.writeHistory(history);
                store.writeResults(results);
                store.linkLatest();
                dir = store.dir();
                Report.render(dir); // index.html: what a person opens after the run
            } catch (IOException | RuntimeException e) {
                error = (error == null ? "" : error + "\n") + "harness error: cannot write the store: " + e;
                results = new LinkedHashMap<>(results);
                results.put("valid", "unknown");
                results.put("error", error);
            }
        }
        Validity v = Validity.parse(results.get("valid"));
        int exit = error != null ? 3 : v.exitCode();
        return new TestResult(
                spec.name(), spec.seed(), v, exit, error, results, List.copyOf(history), dir, spec.replayCommand());
    }

    // ------------------------------------------------------------------ phases

    private void setup() {
        enter("setup");
        cluster.start();
        nemesis = cluster.nemesis();
        nemesis.setup();
        clients = new Client[spec.concurrency()];
        processOf = new int[spec.concurrency()];
        busy = new boolean[spec.concurrency()];
        for (int t = 0; t < clients.length; t++) {
            clients[t] = cluster.client(t, workload);
            processOf[t] = t;
        }
    }

    private void mainPhase() {
        enter("main");
        Generator clientGen = spec.clientGenerator() != null ? spec.clientGenerator() : workload.generator();
        long meanGapNanos = Math.max(1, (long) (1e9 / spec.rate()));
        Generator faults =
                spec.nemesisGenerator() != null ? spec.nemesisGenerator() : new FaultSchedule(spec.schedule());
        gen = Gen.timeLimit(
                spec.timeLimitMillis() * MS,
                Gen.any(List.of(Gen.clients(Gen.stagger(meanGapNanos, clientGen)), Gen.nemesis(faults))));
        long start = sched.nowNanos();
        nextProgressNanos = start + spec.progressEveryMillis() * MS;
        sched.schedule(0, this::pump);
        runPhase("main", start + (spec.timeLimitMillis() + 60_000) * MS, () -> genDone && idle());
        // In-flight operations end by their clients' own deadlines.
        runPhase("main (draining)", sched.nowNanos() + 120_000 * MS, this::idle);
    }

    private void heal() {
        if (error != null) {
            return;
        }
        enter("heal");
        Op op = FaultOps.heal();
        nemesisBusy = true;
        record(OpType.INVOKE, HistoryOp.NEMESIS, op.f(), null, null, null, false);
        nemesis.heal(once("nemesis heal", c -> {
            record(c.type(), HistoryOp.NEMESIS, op.f(), null, c.value(), c.error(), false);
            activeFaults.clear();
            nemesisBusy = false;
        }));
        runPhase("heal", sched.nowNanos() + 60_000 * MS, () -> !nemesisBusy);
    }

    private void finalReads() {
        if (error != null) {
            return;
        }
        enter("final");
        finalPhase = true;
        List<Op> ops = workload.finalOps();
        finalWanted = ops.size();
        finalQueue.addAll(ops);
        sched.schedule(0, this::finalPump);
        runPhase(
                "final",
                sched.nowNanos() + spec.finalTimeLimitMillis() * MS,
                () -> finalSucceeded == finalWanted && idle());
        finalQueue.clear();
        finalRetries.clear();
        runPhase("final (draining)", sched.nowNanos() + 120_000 * MS, this::idle);
    }

    private CheckOutcome convergence() {
        if (error != null) {
            return null;
        }
        enter("convergence");
        long start = sched.nowNanos();
        boolean ok = runPhase("convergence", start + spec.convergenceMillis() * MS, cluster::converged);
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("converged", ok);
        d.put("millis", (sched.nowNanos() - start) / MS);
        d.put("limit-millis", spec.convergenceMillis());
        if (!ok) {
            d.put(
                    "why",
                    "replicas did not converge within " + spec.convergenceMillis()
                            + " ms after the clients stopped (every replica that is up must apply the same log)");
        }
        d.put("nodes", cluster.describe());
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
            if (error == null) {
                error = "harness error in teardown: " + stackTrace(e);
            }
        } finally {
            if (cluster != null) {
                try {
                    cluster.close();
                } catch (RuntimeException e) {
                    if (error == null) {
                        error = "harness error closing the cluster: " + stackTrace(e);
                    }
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
        if (error != null) {
            return false;
        }
        enter(name);
        phaseWallDeadline = System.nanoTime() + spec.phaseWallLimitMillis() * MS;
        boolean[] wallExpired = {false};
        boolean ok = sched.runUntil(deadlineNanos, () -> {
            progress();
            if (error != null) {
                return true;
            }
            if (System.nanoTime() > phaseWallDeadline) {
                wallExpired[0] = true;
                return true;
            }
            return done.getAsBoolean();
        });
        if (wallExpired[0] && error == null) {
            error = "harness error: phase " + name + " exceeded its wall-clock limit of " + spec.phaseWallLimitMillis()
                    + " ms (the run was stopped; what was recorded is stored)";
        }
        return ok && error == null && done.getAsBoolean();
    }

    private boolean idle() {
        if (nemesisBusy) {
            return false;
        }
        for (boolean b : busy) {
            if (b) {
                return false;
            }
        }
        return true;
    }

    // ------------------------------------------------------------------ the interpreter

    private Context context() {
        List<Integer> free = new ArrayList<>();
        List<Integer> inFlight = new ArrayList<>();
        (nemesisBusy ? inFlight : free).add(Context.NEMESIS);
        for (int t = 0; t < busy.length; t++) {
            (busy[t] ? inFlight : free).add(processOf[t]);
        }
        free.sort(null);
        inFlight.sort(null);
        return new Context(sched.nowNanos(), free, inFlight, random);
    }

    private void pump() {
        if (pumping) {
            pumpAgain = true;
            return;
        }
        pumping = true;
        try {
            do {
                pumpAgain = false;
                pumpOnce();
            } while (pumpAgain);
        } finally {
            pumping = false;
        }
    }

    private void pumpOnce() {
        for (int steps = 0; steps < 100_000 && !genDone && error == null && !finalPhase; steps++) {
            if (history.size() + 2 > MAX_HISTORY_OPS) {
                historyFull = true;
                genDone = true;
                return;
            }
            long now = sched.nowNanos();
            if (pendingEmit != null) {
                if (pendingEmit.op().timeNanos() > now) {
                    return; // its wake is scheduled
                }
                Generator.Emit e = pendingEmit;
                pendingEmit = null;
                gen = e.rest();
                invoke(e.op());
                continue;
            }
            Generator.Step s = gen.next(context());
            if (s instanceof Generator.Emit e) {
                if (e.op().timeNanos() > now) {
                    pendingEmit = e;
                    wakeAt(e.op().timeNanos());
                    return;
                }
                gen = e.rest();
                invoke(e.op());
            } else if (s instanceof Generator.Pending p) {
                gen = p.rest();
                if (p.wakeNanos() != Long.MAX_VALUE) {
                    wakeAt(Math.max(now, p.wakeNanos()));
                }
                return;
            } else {
                genDone = true;
                return;
            }
        }
    }

    private void wakeAt(long atNanos) {
        long token = ++wakeToken;
        sched.schedule(Math.max(0, atNanos - sched.nowNanos()), () -> {
            if (token == wakeToken) {
                pump();
            }
        });
    }

    /** Something completed: the generator is asked again (an emit planned for later may change). */
    private void completed() {
        pendingEmit = null;
        if (finalPhase) {
            finalPump();
        } else {
            pump();
        }
    }

    private void invoke(Op op) {
        if (op.process() == Context.NEMESIS) {
            if (nemesisBusy) {
                throw new IllegalStateException("generator emitted a fault while the nemesis was busy: " + op);
            }
            nemesisBusy = true;
            Fault fault = Fault.of(op); // a map only in the history
            record(OpType.INVOKE, HistoryOp.NEMESIS, fault.name(), null, fault.value(), null, false);
            nemesis.invoke(fault, once("nemesis " + fault.name(), c -> {
                record(c.type(), HistoryOp.NEMESIS, fault.name(), null, c.value(), c.error(), false);
                trackFault(fault);
                nemesisBusy = false;
                completed();
            }));
            return;
        }
        int thread = threadOf(op.process());
        invokeOn(thread, op, false);
    }

    private void invokeOn(int thread, Op op, boolean fin) {
        if (busy[thread]) {
            throw new IllegalStateException("generator emitted " + op + " on busy process " + processOf[thread]);
        }
        busy[thread] = true;
        int process = processOf[thread];
        invoked++;
        record(OpType.INVOKE, process, op.f(), op.key(), op.value(), null, fin);
        clients[thread].invoke(op, once("client " + process + " " + op.f(), c -> {
            // An ok operation records what the client returned (a read's value; the workload gives writes theirs);
            // fail and info keep the invocation's value unless the client says more.
            Object value = c.type() == OpType.OK || c.value() != null ? c.value() : op.value();
            record(c.type(), process, op.f(), op.key(), value, c.error(), fin);
            counts[c.type() == OpType.OK ? 0 : c.type() == OpType.FAIL ? 1 : 2]++;
            busy[thread] = false;
            if (c.type() == OpType.INFO) {
                processOf[thread] += spec.concurrency(); // Jepsen: a process with an unknown op is retired
            }
            if (fin) {
                if (c.type() == OpType.OK) {
                    finalSucceeded++;
                } else {
                    finalRetries
                            .computeIfAbsent(sched.nowNanos() + FINAL_RETRY_NANOS, t -> new ArrayList<>())
                            .add(op);
                    sched.schedule(FINAL_RETRY_NANOS, this::finalPump);
                }
            }
            completed();
        }));
    }

    private int threadOf(int process) {
        for (int t = 0; t < processOf.length; t++) {
            if (processOf[t] == process) {
                return t;
            }
        }
        throw new IllegalStateException("generator emitted an operation on unknown process " + process);
    }

    /** The final phase: queued final operations go to idle threads; failed ones are retried after a pause. */
    private void finalPump() {
        if (!finalPhase || error != null) {
            return;
        }
        long now = sched.nowNanos();
        while (!finalRetries.isEmpty() && finalRetries.firstKey() <= now) {
            finalQueue.addAll(finalRetries.pollFirstEntry().getValue());
        }
        for (int t = 0; t < busy.length && !finalQueue.isEmpty(); t++) {
            if (!busy[t]) {
                Op template = finalQueue.poll();
                invokeOn(t, template, true);
            }
        }
    }

    private <T> Consumer<T> once(String what, Consumer<T> body) {
        boolean[] called = {false};
        return c -> {
            if (called[0]) {
                error = "harness error: " + what + " completed twice (a client or nemesis broke its contract)";
                return;
            }
            called[0] = true;
            body.accept(c);
        };
    }

    private void record(OpType type, int process, String f, String key, Object value, String err, boolean fin) {
        history.add(new HistoryOp(history.size(), sched.nowNanos(), type, process, f, key, value, err, fin));
    }

    // ------------------------------------------------------------------ progress

    private void trackFault(Fault fault) {
        Map<?, ?> m = fault.value() != null ? fault.value() : Map.of();
        switch (fault.name()) {
            case "start-partition" -> activeFaults.put("partition", String.valueOf(m.get("shape")));
            case "stop-partition" -> activeFaults.remove("partition");
            case "kill" -> activeFaults.put("kill", String.valueOf(m.get("targets")));
            case "start" -> activeFaults.remove("kill");
            case "pause" -> activeFaults.put("pause", String.valueOf(m.get("targets")));
            case "resume" -> activeFaults.remove("pause");
            case "start-clock" -> activeFaults.put("clock", String.valueOf(m.get("targets")));
            case "stop-clock" -> activeFaults.remove("clock");
            case "start-disk-full" -> activeFaults.put("disk-full", String.valueOf(m.get("targets")));
            case "stop-disk-full" -> activeFaults.remove("disk-full");
            case "start-fsync-stall" -> activeFaults.put("fsync-stall", String.valueOf(m.get("targets")));
            case "stop-fsync-stall" -> activeFaults.remove("fsync-stall");
            case "start-link" -> activeFaults.put("link-" + m.get("behavior"), "on");
            case "stop-link" -> activeFaults.remove("link-" + m.get("behavior"));
            default -> {
                // point faults (bitflip, wipe-disk) are not active afterwards
            }
        }
    }

    private void progress() {
        if (spec.progress() == null || sched.nowNanos() < nextProgressNanos) {
            return;
        }
        nextProgressNanos = sched.nowNanos() + spec.progressEveryMillis() * MS;
        int inFlight = 0;
        for (boolean b : busy) {
            inFlight += b ? 1 : 0;
        }
        StringBuilder b = new StringBuilder();
        b.append(String.format(
                "[%7.1fs] %-12s %d ops (ok %d, fail %d, info %d), %d in flight; faults: ",
                sched.nowNanos() / 1e9, phase, invoked, counts[0], counts[1], counts[2], inFlight));
        if (activeFaults.isEmpty()) {
            b.append("none");
        } else {
            List<String> fs = new ArrayList<>();
            activeFaults.forEach((k, v) -> fs.add(v.equals("on") ? k : k + "(" + v + ")"));
            b.append(String.join(", ", fs));
        }
        spec.progress().accept(b.toString());
    }

    static String stackTrace(Throwable e) {
        StringWriter w = new StringWriter();
        e.printStackTrace(new PrintWriter(w));
        String s = w.toString();
        return s.length() > 4000 ? s.substring(0, 4000) + "..." : s;
    }
}
