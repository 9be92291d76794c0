package dev.linden.harness;

import dev.linden.checker.history.OpType;
import dev.linden.nemesis.Fault;
import dev.linden.nemesis.FaultOps;
import dev.linden.nemesis.Nemesis;
import dev.linden.workloads.Client;
import dev.linden.workloads.Completion;
import dev.linden.workloads.HistoryOp;
import dev.linden.workloads.KvRequest;
import dev.linden.workloads.Workload;
import dev.linden.workloads.check.CheckOutcome;
import dev.linden.workloads.gen.Op;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * A cluster for the harness's own tests: one in-memory map on a discrete-event loop, answering each
 * request after a millisecond. Switches make it misbehave in one way each.
 */
class FakeCluster implements Cluster {
    boolean staleReads; // reads return the first value ever written: not linearizable
    boolean nemesisInert; // every fault reports no effect
    boolean clientHangs; // the first operation never completes
    boolean clientThrows; // invoke throws
    final Map<String, String> data = new HashMap<>();
    private final Map<String, String> first = new HashMap<>();
    private final PriorityQueue<long[]> queue =
            new PriorityQueue<>((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
    private final Map<Long, Runnable> tasks = new HashMap<>();
    private long now;
    private long seq;
    private boolean hung;
    int faultsApplied;

    private void at(long delay, Runnable r) {
        long id = seq++;
        tasks.put(id, r);
        queue.add(new long[] {now + delay, id});
    }

    @Override
    public String env() {
        return "fake";
    }

    @Override
    public List<Integer> nodes() {
        return List.of(1);
    }

    @Override
    public Scheduler scheduler() {
        return new Scheduler() {
            public long nowNanos() {
                return now;
            }

            public void schedule(long delayNanos, Runnable task) {
                at(delayNanos, task);
            }

            public boolean runUntil(long deadlineNanos, BooleanSupplier done) {
                while (!done.getAsBoolean()) {
                    long[] e = queue.peek();
                    if (e == null || e[0] > deadlineNanos) {
                        now = Math.max(now, deadlineNanos);
                        return done.getAsBoolean();
                    }
                    queue.poll();
                    now = e[0];
                    tasks.remove(e[1]).run();
                }
                return true;
            }
        };
    }

    boolean slowTicker; // a task that costs wall time runs every simulated millisecond, forever

    @Override
    public void start() {
        if (slowTicker) {
            tick();
        }
    }

    private void tick() {
        at(1_000_000, () -> {
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            tick();
        });
    }

    @Override
    public Client client(int thread, Workload workload) {
        return new Client() {
            public void invoke(Op op, Consumer<Completion> done) {
                if (clientThrows) {
                    throw new IllegalStateException("client exploded");
                }
                if (clientHangs && !hung) {
                    hung = true;
                    return;
                }
                KvRequest r = workload.request(op);
                at(1_000_000, () -> {
                    switch (r.kind()) {
                        case GET ->
                            done.accept(Completion.ok(
                                    workload.okValue(op, staleReads ? first.get(r.key()) : data.get(r.key()))));
                        case PUT -> {
                            data.put(r.key(), r.value());
                            first.putIfAbsent(r.key(), r.value());
                            done.accept(Completion.ok(workload.okValue(op, null)));
                        }
                        case APPEND -> {
                            data.merge(r.key(), r.value(), String::concat);
                            first.putIfAbsent(r.key(), r.value());
                            done.accept(Completion.ok(workload.okValue(op, null)));
                        }
                        case CAS -> {
                            if (r.expected().equals(data.get(r.key()))) {
                                data.put(r.key(), r.value());
                                done.accept(Completion.ok(workload.okValue(op, null)));
                            } else {
                                done.accept(Completion.fail("cas-mismatch"));
                            }
                        }
                    }
                });
            }

            public void close() {}
        };
    }

    @Override
    public Nemesis nemesis() {
        return new Nemesis() {
            public void setup() {}

            public void invoke(Fault fault, Consumer<Completion> done) {
                faultsApplied++;
                Object v = nemesisInert ? FaultOps.noEffect("inert") : FaultOps.effect("did " + fault.name());
                at(0, () -> done.accept(new Completion(OpType.INFO, v, null)));
            }

            public void heal(Consumer<Completion> done) {
                at(0, () -> done.accept(new Completion(OpType.INFO, FaultOps.effect("healed"), null)));
            }

            public void teardown() {}
        };
    }

    @Override
    public boolean converged() {
        return true;
    }

    @Override
    public String describe() {
        return "1=up";
    }

    @Override
    public List<CheckOutcome> invariants(List<HistoryOp> history) {
        return List.of();
    }

    @Override
    public Map<String, Object> facts() {
        return Map.of("fake", true);
    }

    @Override
    public void collectLogs(Path dir) throws IOException {
        Files.createDirectories(dir.resolve("n1"));
        Files.writeString(dir.resolve("n1").resolve("node.log"), "fake node\n");
    }

    @Override
    public void close() {}
}
