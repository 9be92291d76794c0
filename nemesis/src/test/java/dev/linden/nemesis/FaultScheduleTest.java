package dev.linden.nemesis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.workloads.gen.Context;
import dev.linden.workloads.gen.Gen;
import dev.linden.workloads.gen.GeneratorSim;
import dev.linden.workloads.gen.Op;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The random fault schedule, run on a simulated clock as jepsen.generator.test does. */
class FaultScheduleTest {
    private static final long MS = 1_000_000L;

    private static List<Op> run(FaultSchedule.Options o, long seed, long forMillis) {
        return GeneratorSim.run(Gen.timeLimit(forMillis * MS, new FaultSchedule(o)), 2, MS, seed, 10_000);
    }

    /** Start f -> its stop f, for the faults that have one. */
    private static final Map<String, String> STOPS = Map.ofEntries(
            Map.entry("start-partition", "stop-partition"),
            Map.entry("kill", "start"),
            Map.entry("pause", "resume"),
            Map.entry("start-clock", "stop-clock"),
            Map.entry("start-disk-full", "stop-disk-full"),
            Map.entry("start-fsync-stall", "stop-fsync-stall"),
            Map.entry("start-answer-flood", "stop-answer-flood"),
            Map.entry("start-client-conn-flood", "stop-client-conn-flood"),
            Map.entry("start-peer-conn-flood", "stop-peer-conn-flood"),
            Map.entry("start-half-frames", "stop-half-frames"),
            Map.entry("start-forged-peer", "stop-forged-peer"));

    @Test
    void faultsAreNemesisOperationsThatStopWhatTheyStartAndNeverOverlapMoreThanAllowed() {
        for (long seed = 1; seed <= 20; seed++) {
            List<Op> ops = run(FaultSchedule.Options.defaults(EnumSet.allOf(FaultKind.class), 5), seed, 60_000);
            assertTrue(ops.size() > 20, "too few faults in a minute: " + ops.size());
            Map<String, Integer> active = new HashMap<>();
            int destroyers = 0;
            for (Op op : ops) {
                assertEquals(Context.NEMESIS, op.process());
                if (STOPS.containsKey(op.f()) || op.f().equals("start-link")) {
                    String k = op.f().equals("start-link")
                            ? "link-" + Fault.of(op).value().get("behavior")
                            : op.f();
                    assertEquals(null, active.put(k, 1), "two " + k + " at once, seed " + seed);
                } else if (STOPS.containsValue(op.f()) || op.f().equals("stop-link")) {
                    String k = op.f().equals("stop-link")
                            ? "link-" + Fault.of(op).value().get("behavior")
                            : STOPS.entrySet().stream()
                                    .filter(e -> e.getValue().equals(op.f()))
                                    .findFirst()
                                    .get()
                                    .getKey();
                    assertEquals(1, active.remove(k), op.f() + " without a start, seed " + seed);
                } else if (!Set.of("transfer-leader", "replace-node", "rogue-operator")
                        .contains(op.f())) {
                    assertTrue(
                            Set.of("bitflip", "wipe-disk", "lose-tail", "lose-segments", "restart-as-new")
                                    .contains(op.f()),
                            op.f());
                    destroyers++;
                }
                assertTrue(active.size() <= 2, "more than two faults at once, seed " + seed);
            }
            assertTrue(destroyers <= 1, "data destroyed twice in one run, seed " + seed);
        }
    }

    @Test
    void everyKindAskedForStartsOnceBeforeAnyStartsTwice() {
        EnumSet<FaultKind> kinds = EnumSet.of(FaultKind.PARTITION, FaultKind.KILL, FaultKind.PAUSE, FaultKind.CLOCK);
        for (long seed = 1; seed <= 50; seed++) {
            List<String> starts = new ArrayList<>();
            for (Op op : run(FaultSchedule.Options.defaults(kinds, 3).withIntensity(2), seed, 20_000)) {
                if (STOPS.containsKey(op.f())) {
                    starts.add(op.f());
                }
            }
            assertTrue(starts.size() >= 8, "seed " + seed + ": " + starts);
            for (int round = 0; round + 4 <= starts.size(); round += 4) {
                assertEquals(
                        Set.of("start-partition", "kill", "pause", "start-clock"),
                        Set.copyOf(starts.subList(round, round + 4)),
                        "seed " + seed + ", round " + round + ": " + starts);
            }
        }
    }

    @Test
    void aRecoveryWindowFollowsEveryFault() {
        FaultSchedule.Options o = FaultSchedule.Options.defaults(
                        EnumSet.of(FaultKind.PARTITION, FaultKind.KILL, FaultKind.PAUSE), 3)
                .withRecoveryMillis(3_000);
        List<Op> ops = run(o, 7, 120_000);
        assertTrue(ops.size() >= 10, ops.toString());
        for (int i = 0; i + 2 < ops.size(); i += 2) {
            assertTrue(STOPS.containsKey(ops.get(i).f()), "a start first: " + ops.get(i));
            assertEquals(STOPS.get(ops.get(i).f()), ops.get(i + 1).f(), "faults overlap: " + ops.subList(i, i + 2));
            long quiet = ops.get(i + 2).timeNanos() - ops.get(i + 1).timeNanos();
            assertTrue(quiet >= 3_000 * MS, "only " + quiet / MS + " ms of recovery after " + ops.get(i + 1));
        }
    }

    @Test
    void theSameSeedGivesTheSameScheduleAndNoKindsGiveNone() {
        FaultSchedule.Options o = FaultSchedule.Options.defaults(EnumSet.allOf(FaultKind.class), 3);
        assertEquals(run(o, 5, 30_000), run(o, 5, 30_000));
        assertTrue(!run(o, 5, 30_000).equals(run(o, 6, 30_000)));
        assertEquals(List.of(), run(FaultSchedule.Options.defaults(Set.of(), 3), 5, 30_000));
    }

    @Test
    void twoNodesNeverLoseData() {
        List<String> fs = new ArrayList<>();
        run(
                        FaultSchedule.Options.defaults(
                                EnumSet.of(FaultKind.BITFLIP, FaultKind.WIPE_DISK, FaultKind.PAUSE), 2),
                        3,
                        60_000)
                .forEach(op -> fs.add(op.f()));
        assertTrue(!fs.contains("bitflip") && !fs.contains("wipe-disk"), fs.toString());
        assertTrue(fs.contains("pause"), fs.toString());
    }

    @Test
    void aStaleLeaderIsItsSlowClockAndItsCutHeldForSecondsWithNoOtherPartitionOrClockFault() {
        FaultSchedule.Options o = FaultSchedule.Options.defaults(
                EnumSet.of(FaultKind.STALE_LEADER, FaultKind.PARTITION, FaultKind.CLOCK), 3);
        for (long seed = 1; seed <= 10; seed++) {
            boolean partition = false;
            long staleSince = -1;
            boolean clock = false;
            int stale = 0;
            for (Op op : run(o, seed, 60_000)) {
                switch (op.f()) {
                    case "start-partition" -> {
                        assertTrue(staleSince < 0 && !partition, "a partition with another, seed " + seed);
                        partition = true;
                    }
                    case "stop-partition" -> partition = false;
                    case "start-clock" -> {
                        assertTrue(staleSince < 0 && !clock, "two clock faults at once, seed " + seed);
                        Fault.StartClock c = (Fault.StartClock) Fault.of(op);
                        if (c.isolate()) {
                            assertTrue(!partition, "a stale leader during a partition, seed " + seed);
                            assertEquals(
                                    "{targets=leader, offset-ms=0, drift-ppm=-500000, others-drift-ppm=500000, "
                                            + "isolate=true}",
                                    c.value().toString());
                            assertEquals(c, FaultHistory.read(c.name(), c.value()));
                            staleSince = op.timeNanos();
                            stale++;
                        } else {
                            clock = true;
                        }
                    }
                    case "stop-clock" -> {
                        if (staleSince >= 0) {
                            long heldMillis = (op.timeNanos() - staleSince) / MS;
                            assertTrue(
                                    heldMillis >= FaultSchedule.STALE_LEADER_HOLD_MIN_MILLIS
                                            && heldMillis <= FaultSchedule.STALE_LEADER_HOLD_MAX_MILLIS + 100,
                                    "a stale leader held " + heldMillis + " ms, seed " + seed);
                        }
                        staleSince = -1;
                        clock = false;
                    }
                    default -> throw new AssertionError(op.f());
                }
            }
            assertTrue(stale >= 2, stale + " stale leaders in a minute, seed " + seed);
        }
        assertTrue(FaultKind.STALE_LEADER.conflictsWith(FaultKind.LONG_PARTITION));
        assertTrue(FaultKind.CLOCK.conflictsWith(FaultKind.STALE_LEADER));
        assertTrue(!FaultKind.STALE_LEADER.conflictsWith(FaultKind.KILL));
        assertTrue(FaultKind.all().contains(FaultKind.STALE_LEADER));
    }

    @Test
    void aKillAtALeaderChangeTakesTheLeaderFirstAndNeverRunsWithAnotherKill() {
        for (long seed = 1; seed <= 10; seed++) {
            List<Op> ops = run(
                    FaultSchedule.Options.defaults(EnumSet.of(FaultKind.KILL, FaultKind.LEADER_CHANGE_KILL), 3),
                    seed,
                    60_000);
            int down = 0;
            int atLeaderChange = 0;
            for (Op op : ops) {
                if (op.f().equals("kill")) {
                    assertEquals(0, down++, "two kills at once, seed " + seed);
                    Fault.Kill k = (Fault.Kill) Fault.of(op);
                    atLeaderChange += k.during() == Fault.CrashPoint.LEADER_CHANGE ? 1 : 0;
                } else {
                    assertEquals("start", op.f());
                    down--;
                }
            }
            assertTrue(atLeaderChange >= 5, atLeaderChange + " kills at a leader change in a minute, seed " + seed);
        }
        assertTrue(FaultKind.KILL.conflictsWith(FaultKind.LEADER_CHANGE_KILL));
    }

    @Test
    void namesParseToKindsAndBack() {
        assertEquals(FaultKind.all(), FaultKind.parseList("all"));
        assertEquals(
                EnumSet.of(FaultKind.DISK_FULL, FaultKind.FSYNC_STALL, FaultKind.BITFLIP, FaultKind.WIPE_DISK),
                FaultKind.parseList("disk"));
        assertEquals(EnumSet.of(FaultKind.KILL, FaultKind.PARTITION), FaultKind.parseList("kill,partition"));
        assertEquals(EnumSet.of(FaultKind.LONG_PARTITION), FaultKind.parseList("long-partition"));
        assertEquals(EnumSet.of(FaultKind.LEADER_CHANGE_KILL), FaultKind.parseList("leader-change-kill"));
        assertTrue(FaultKind.all().contains(FaultKind.LEADER_CHANGE_KILL));
        for (String s : List.of("all", "none", "partition,kill", "link", "disk,pause", "bitflip,clog")) {
            assertEquals(FaultKind.parseList(s), FaultKind.parseList(FaultKind.format(FaultKind.parseList(s))), s);
        }
    }
}
