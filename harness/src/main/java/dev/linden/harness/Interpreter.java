package dev.linden.harness;

import dev.linden.checker.history.OpType;
import dev.linden.nemesis.Fault;
import dev.linden.nemesis.FaultOps;
import dev.linden.nemesis.Nemesis;
import dev.linden.workloads.Client;
import dev.linden.workloads.HistoryOp;
import dev.linden.workloads.gen.Context;
import dev.linden.workloads.gen.Generator;
import dev.linden.workloads.gen.Op;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * The interpreter, as Jepsen's: asks the generator for operations, hands client operations to worker
 * threads' clients and fault operations to the nemesis, and records every invocation and completion in
 * the history. It only reacts (to the scheduler's wakes and to completions); {@link Runner} drives the
 * phases and decides when to stop.
 */
final class Interpreter {
    private static final long MS = 1_000_000L;
    private static final long FINAL_RETRY_NANOS = 500 * MS;

    private final TestSpec spec;
    private final SplittableRandom random;
    private final Scheduler sched;
    private final Nemesis nemesis;
    private final Client[] clients;
    private final List<HistoryOp> history;
    private final HarnessFailure failure;
    private final RunProgress progress;
    private final int[] processOf;
    private final boolean[] busy;
    private boolean nemesisBusy;

    private Generator gen;
    private boolean genDone;
    private Generator.Emit pendingEmit;
    private long wakeToken;
    private boolean pumping;
    private boolean pumpAgain;
    private boolean historyFull;

    private boolean finalPhase;
    private final Deque<Op> finalQueue = new ArrayDeque<>();
    private final TreeMap<Long, List<Op>> finalRetries = new TreeMap<>();
    private int finalSucceeded;
    private int finalWanted;

    /** Thread {@code t} runs {@code clients[t]}, as process {@code t} until an operation of it ends unknown. */
    Interpreter(
            TestSpec spec,
            SplittableRandom random,
            Scheduler sched,
            Nemesis nemesis,
            Client[] clients,
            List<HistoryOp> history,
            HarnessFailure failure,
            RunProgress progress) {
        this.spec = spec;
        this.random = random;
        this.sched = sched;
        this.nemesis = nemesis;
        this.clients = clients;
        this.history = history;
        this.failure = failure;
        this.progress = progress;
        this.processOf = new int[clients.length];
        this.busy = new boolean[clients.length];
        for (int t = 0; t < clients.length; t++) {
            processOf[t] = t;
        }
    }

    // ------------------------------------------------------------------ what the runner asks

    /** The main phase: operations come from {@code generator} until it is exhausted. */
    void start(Generator generator) {
        gen = generator;
        sched.schedule(0, this::pump);
    }

    /** The generator is exhausted (or the history is full). */
    boolean genDone() {
        return genDone;
    }

    /** The history reached {@link Runner#MAX_HISTORY_OPS}: the main phase ended early. */
    boolean historyFull() {
        return historyFull;
    }

    /** No operation is in flight. */
    boolean idle() {
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

    int inFlight() {
        int inFlight = 0;
        for (boolean b : busy) {
            inFlight += b ? 1 : 0;
        }
        return inFlight;
    }

    boolean nemesisBusy() {
        return nemesisBusy;
    }

    /** One nemesis {@code heal} operation, recorded as any fault operation is. */
    void heal() {
        Op op = FaultOps.heal();
        nemesisBusy = true;
        record(OpType.INVOKE, HistoryOp.NEMESIS, op.f(), null, null, null, false);
        nemesis.heal(once("nemesis heal", c -> {
            record(c.type(), HistoryOp.NEMESIS, op.f(), null, c.value(), c.error(), false);
            progress.healed();
            nemesisBusy = false;
        }));
    }

    /** The final phase: each of {@code ops} is retried until it succeeds (or the runner gives up). */
    void startFinal(List<Op> ops) {
        finalPhase = true;
        finalWanted = ops.size();
        finalQueue.addAll(ops);
        sched.schedule(0, this::finalPump);
    }

    /** Every final operation succeeded. */
    boolean finalDone() {
        return finalSucceeded == finalWanted;
    }

    /** The runner gave up on the final operations not yet invoked. */
    void dropFinal() {
        finalQueue.clear();
        finalRetries.clear();
    }

    // ------------------------------------------------------------------ the generator

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
        for (int steps = 0; steps < 100_000 && !genDone && !failure.occurred() && !finalPhase; steps++) {
            if (history.size() + 2 > Runner.MAX_HISTORY_OPS) {
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

    // ------------------------------------------------------------------ invocations and completions

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
                progress.trackFault(fault);
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
        progress.invoked();
        record(OpType.INVOKE, process, op.f(), op.key(), op.value(), null, fin);
        clients[thread].invoke(op, once("client " + process + " " + op.f(), c -> {
            // An ok operation records what the client returned (a read's value; the workload gives writes theirs);
            // fail and info keep the invocation's value unless the client says more.
            Object value = c.type() == OpType.OK || c.value() != null ? c.value() : op.value();
            record(c.type(), process, op.f(), op.key(), value, c.error(), fin);
            progress.completed(c.type());
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
        if (!finalPhase || failure.occurred()) {
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
                failure.set("harness error: " + what + " completed twice (a client or nemesis broke its contract)");
                return;
            }
            called[0] = true;
            body.accept(c);
        };
    }

    private void record(OpType type, int process, String f, String key, Object value, String err, boolean fin) {
        history.add(new HistoryOp(history.size(), sched.nowNanos(), type, process, f, key, value, err, fin));
    }
}
