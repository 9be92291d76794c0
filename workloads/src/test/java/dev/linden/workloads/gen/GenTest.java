package dev.linden.workloads.gen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Generators run on a simulated clock, as jepsen.generator.test runs them. */
class GenTest {
    private static final long MS = 1_000_000L;
    private static final Op READ = Op.of("read", null);
    private static final Op WRITE = Op.of("write", 1L);

    private static List<Op> run(Generator g) {
        return GeneratorSim.run(g, 3, 10 * MS, 1, 10_000);
    }

    @Test
    void limitAndOnceBoundTheOperations() {
        assertEquals(5, run(Gen.limit(5, Gen.repeat(READ))).size());
        assertEquals(1, run(Gen.once(READ)).size());
        // Three processes, 10 ms per op: the first three start at once, the next ones as processes free up.
        List<Op> ops = run(Gen.limit(6, Gen.repeat(READ)));
        assertEquals(
                List.of(0L, 0L, 0L, 10 * MS, 10 * MS, 10 * MS),
                ops.stream().map(Op::timeNanos).toList());
        assertEquals(Set.of(0, 1, 2), ops.stream().map(Op::process).collect(Collectors.toSet()));
    }

    @Test
    void timeLimitStopsInvokingAtItsDeadline() {
        List<Op> ops = run(Gen.timeLimit(100 * MS, Gen.repeat(READ)));
        assertEquals(30, ops.size(), "3 processes x 10 ops of 10 ms in 100 ms");
        assertTrue(ops.stream().allMatch(o -> o.timeNanos() < 100 * MS));
    }

    @Test
    void staggerSetsATotalRateAndDelayAFixedOne() {
        List<Op> staggered = run(Gen.timeLimit(10_000 * MS, Gen.stagger(20 * MS, Gen.repeat(READ))));
        assertTrue(
                staggered.size() > 400 && staggered.size() < 600,
                "about 500 ops at one per 20 ms: " + staggered.size());
        List<Op> delayed = run(Gen.limit(4, Gen.delay(50 * MS, Gen.repeat(READ))));
        assertEquals(
                List.of(0L, 50 * MS, 100 * MS, 150 * MS),
                delayed.stream().map(Op::timeNanos).toList());
    }

    @Test
    void phasesWaitForEveryOperationAndSleepWaits() {
        List<Op> ops = run(Gen.phases(List.of(Gen.limit(3, Gen.repeat(WRITE)), Gen.sleep(100 * MS), Gen.once(READ))));
        assertEquals(
                List.of("write", "write", "write", "read"),
                ops.stream().map(Op::f).toList());
        assertEquals(110 * MS, ops.get(3).timeNanos(), "writes end at 10 ms, then 100 ms of sleep");
        List<Op> chained = run(Gen.then(Gen.limit(2, Gen.repeat(WRITE)), Gen.once(READ)));
        assertEquals(0L, chained.get(2).timeNanos(), "then does not wait for completions");
    }

    @Test
    void clientsAndNemesisAreRoutedApart() {
        Generator faults =
                Gen.nemesis(Gen.limit(3, Gen.delay(30 * MS, Gen.repeat(Op.fault("start-partition", "majority")))));
        List<Op> ops = run(Gen.any(List.of(Gen.clients(Gen.timeLimit(100 * MS, Gen.repeat(READ))), faults)));
        List<Op> nemesis =
                ops.stream().filter(o -> o.process() == Context.NEMESIS).toList();
        assertEquals(3, nemesis.size());
        assertTrue(nemesis.stream().allMatch(o -> o.f().equals("start-partition")));
        assertTrue(ops.stream().filter(o -> o.f().equals("read")).noneMatch(o -> o.process() == Context.NEMESIS));
        assertEquals(
                List.of(0L, 30 * MS, 60 * MS),
                nemesis.stream().map(Op::timeNanos).toList());
    }

    @Test
    void mixChoosesAtRandomAndTheSameSeedGivesTheSameOperations() {
        Generator g = Gen.limit(200, Gen.mix(List.of(Gen.repeat(READ), Gen.repeat(WRITE))));
        List<Op> a = GeneratorSim.run(g, 3, 10 * MS, 7, 10_000);
        long reads = a.stream().filter(o -> o.f().equals("read")).count();
        assertTrue(reads > 70 && reads < 130, "reads " + reads + " of 200");
        assertEquals(a, GeneratorSim.run(g, 3, 10 * MS, 7, 10_000));
    }

    @Test
    void eachProcessGivesEveryProcessItsOwnGenerator() {
        List<Op> ops = run(Gen.eachProcess(p -> Gen.limit(2, Gen.repeat(Op.of("write", (long) p)))));
        assertEquals(6, ops.size());
        assertTrue(ops.stream().allMatch(o -> o.value().equals((long) o.process())));
    }

    @Test
    void cycleTimesRotatesByTheClock() {
        Generator g = Gen.timeLimit(
                400 * MS,
                Gen.cycleTimes(new long[] {100 * MS, 100 * MS}, List.of(Gen.repeat(READ), Gen.repeat(WRITE))));
        for (Op o : run(g)) {
            boolean firstWindow = (o.timeNanos() / (100 * MS)) % 2 == 0;
            assertEquals(firstWindow ? "read" : "write", o.f(), "at " + o.timeNanos() / MS + " ms");
        }
    }

    @Test
    void onThreadsKeepsAThreadsRoleAcrossItsProcesses() {
        Generator g = Gen.mix(List.of(
                Gen.onThreads(3, t -> t == 0, Gen.repeat(READ)), Gen.onThreads(3, t -> t != 0, Gen.repeat(WRITE))));
        for (int p : new int[] {0, 3, 6}) { // thread 0 and the processes that follow it there
            Op op = g.next(new Context(0, List.of(p), List.of(), new SplittableRandom(p))) instanceof Generator.Emit e
                    ? e.op()
                    : null;
            assertEquals("read", op.f(), "process " + p);
        }
        Op op = g.next(new Context(0, List.of(4), List.of(), new SplittableRandom(1))) instanceof Generator.Emit e
                ? e.op()
                : null;
        assertEquals("write", op.f());
    }
}
