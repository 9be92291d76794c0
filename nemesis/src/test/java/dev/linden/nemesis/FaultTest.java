package dev.linden.nemesis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The typed fault vocabulary: every operation handled, named once, and read back from histories as written. */
class FaultTest {
    /** Every record that is a Fault, found through the sealed hierarchy. */
    private static Set<Class<?>> records(Class<?> c) {
        Set<Class<?>> out = new HashSet<>();
        if (c.isRecord()) {
            out.add(c);
        }
        if (c.isSealed()) {
            for (Class<?> sub : c.getPermittedSubclasses()) {
                out.addAll(records(sub));
            }
        }
        return out;
    }

    @Test
    void theExamplesHoldEveryFaultRecordAndTheHandlerOneMethodForEach() {
        Set<Class<?>> all = records(Fault.class);
        Set<Class<?>> shown = new HashSet<>();
        FaultExamples.all().forEach(f -> shown.add(f.getClass()));
        assertEquals(all, shown);
        assertEquals(all.size(), Fault.Handler.class.getDeclaredMethods().length);
        assertEquals(32, all.size(), "a fault added or removed: update this count and the bindings' tests");
    }

    @Test
    void eachFaultGoesToTheHandlerMethodOfItsName() {
        List<String> called = new ArrayList<>();
        @SuppressWarnings("unchecked")
        Fault.Handler<Object> recorder = (Fault.Handler<Object>) Proxy.newProxyInstance(
                Fault.Handler.class.getClassLoader(), new Class<?>[] {Fault.Handler.class}, (p, m, args) -> {
                    called.add(m.getName() + ":" + args[0].getClass().getSimpleName());
                    return null;
                });
        for (Fault f : FaultExamples.all()) {
            called.clear();
            f.accept(recorder);
            String simple = f.getClass().getSimpleName();
            String method = Character.toLowerCase(simple.charAt(0)) + simple.substring(1);
            assertEquals(List.of(method + ":" + simple), called);
        }
        for (Method m : Fault.Handler.class.getDeclaredMethods()) {
            assertEquals(1, m.getParameterCount(), m.getName());
        }
    }

    @Test
    void everyFaultIsReadBackFromTheHistoryAsItWasWritten() {
        for (Fault f : FaultExamples.all()) {
            assertEquals(f, FaultHistory.read(f.name(), f.value()), f.toString());
        }
        SplittableRandom r = new SplittableRandom(5);
        for (int i = 0; i < 50; i++) {
            for (FaultKind k : FaultKind.values()) {
                Fault start = FaultOps.start(k, r, 5);
                assertEquals(start, FaultHistory.read(start.name(), start.value()));
                Fault stop = FaultOps.stop(k);
                if (stop != null) {
                    assertEquals(stop, FaultHistory.read(stop.name(), stop.value()));
                }
            }
        }
    }

    @Test
    void historiesKeepTheirKeyOrderAndNumbersAsLongs() {
        Fault clock = new Fault.StartClock("leader", 0, -500_000, OptionalLong.of(500_000));
        assertEquals("start-clock", clock.name());
        assertEquals(
                "{targets=leader, offset-ms=0, drift-ppm=-500000, others-drift-ppm=500000}",
                clock.value().toString());
        assertEquals(Long.class, clock.value().get("offset-ms").getClass());
        assertEquals(
                "{targets=one, during=disk-op, after-ops=3}",
                new Fault.Kill("one", Fault.CrashPoint.DISK_OP, 3).value().toString());
        assertEquals(
                "{targets=leader, during=leader-change}",
                new Fault.Kill("leader", Fault.CrashPoint.LEADER_CHANGE, 0)
                        .value()
                        .toString());
        assertEquals(
                new Fault.Kill("one", Fault.CrashPoint.LEADER_CHANGE, 0),
                FaultHistory.read("kill", Map.of("targets", "one", "during", "leader-change")));
        assertEquals(
                "{behavior=clog, targets=one}",
                new Fault.StartClog("one").value().toString());
        assertEquals("{targets=all}", new Fault.Start().value().toString());
        assertEquals(null, new Fault.StopPartition().value());
        assertEquals("stop-half-frames", new HostileFault.StopAttack(HostileFault.Attack.HALF_FRAMES).name());
    }

    @Test
    void aClockFaultIsolatesOneNodeAtMostAndOldHistoriesReadAsNotIsolating() {
        assertThrows(
                IllegalArgumentException.class,
                () -> new Fault.StartClock("minority", 0, -500_000, OptionalLong.empty(), true));
        assertEquals(
                new Fault.StartClock("leader", 5, 10),
                FaultHistory.read("start-clock", Map.of("targets", "leader", "offset-ms", 5L, "drift-ppm", 10L)));
        assertThrows(
                IllegalArgumentException.class,
                () -> FaultHistory.read("start-clock", Map.of("targets", "leader", "isolate", "yes")));
        Map<String, Object> joined = FaultOps.joined(
                FaultOps.noEffect("no libfaketime"), "isolated", FaultOps.effect("partitioned", "shape", "leader"));
        assertEquals(
                "{effect=isolated (otherwise: no libfaketime), isolated={effect=partitioned, shape=leader}}",
                joined.toString());
        assertEquals(
                "{effect=moved, isolated={no-effect=cuts no link}}",
                FaultOps.joined(FaultOps.effect("moved"), "isolated", FaultOps.noEffect("cuts no link"))
                        .toString());
    }

    @Test
    void aTypoInAKeyOrANameIsAnErrorNotADefault() {
        Map<String, Object> v = new LinkedHashMap<>(Map.of("targets", "one", "ofset-ms", 100L));
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> FaultHistory.read("start-clock", v));
        assertTrue(e.getMessage().contains("ofset-ms"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> FaultHistory.read("start-clok", Map.of()));
        assertThrows(IllegalArgumentException.class, () -> new Fault.Pause("leaders"));
        assertThrows(IllegalArgumentException.class, () -> new Fault.StartPartition("halfs", false));
        assertThrows(IllegalArgumentException.class, () -> new Fault.Kill("one", Fault.CrashPoint.NOW, 2));
        // Keys an older history may lack take the bindings' defaults.
        assertEquals(new Fault.Kill("one"), FaultHistory.read("kill", null));
    }

    @Test
    void oldNamesAreAliasesReadButNeverWritten() {
        assertEquals(EnumSet.of(FaultKind.KILL), FaultKind.parseList("crash"));
        assertEquals(EnumSet.of(FaultKind.WIPE_DISK), FaultKind.parseList("disk-loss"));
        assertEquals(FaultKind.parseList("kill,wipe-disk"), FaultKind.parseList("crash,disk-loss"));
        for (Map.Entry<String, FaultKind> alias : FaultKind.ALIASES.entrySet()) {
            assertEquals(EnumSet.of(alias.getValue()), FaultKind.parseList(alias.getKey()), alias.getKey());
            assertFalse(FaultKind.format(EnumSet.of(alias.getValue())).contains(alias.getKey()));
            assertFalse(FaultKind.vocabulary().containsKey(alias.getKey()), alias.getKey());
        }
        assertEquals("kill", FaultKind.format(EnumSet.of(FaultKind.KILL)));
        assertEquals("wipe-disk", FaultKind.format(EnumSet.of(FaultKind.WIPE_DISK)));
        // Each kind's name is the one its start operation has in histories (or, for link faults, its behavior).
        SplittableRandom r = new SplittableRandom(1);
        assertEquals(
                FaultKind.KILL.cliName(), FaultOps.start(FaultKind.KILL, r, 3).name());
        assertEquals(
                FaultKind.WIPE_DISK.cliName(),
                FaultOps.start(FaultKind.WIPE_DISK, r, 3).name());
        assertEquals(
                FaultKind.CLOG.cliName(),
                FaultOps.start(FaultKind.CLOG, r, 3).value().get("behavior"));
    }
}
