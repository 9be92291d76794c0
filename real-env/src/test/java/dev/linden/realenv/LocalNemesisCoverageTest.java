package dev.linden.realenv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.nemesis.DiskFault;
import dev.linden.nemesis.Fault;
import dev.linden.nemesis.FaultExamples;
import dev.linden.nemesis.Nemesis.Answer;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Real processes answer every fault: the compiler holds {@link LocalNemesis} to {@link Fault.Handler}, this test
 * says which faults it cannot inject and checks that those say why. No process is started (real-process runs
 * are {@code LocalEnvTest}'s and the command line's).
 */
class LocalNemesisCoverageTest {
    /** The faults real processes answer with no-effect, whatever the cluster's state. */
    private static final Set<Class<?>> NOT_HERE =
            Set.of(DiskFault.StartFsyncStall.class, DiskFault.StopFsyncStall.class);

    @Test
    void theLocalNemesisHasItsOwnMethodForEveryFault() {
        for (Method m : Fault.Handler.class.getDeclaredMethods()) {
            Method own = ownMethod(m);
            assertFalse(Modifier.isAbstract(own.getModifiers()), m.getName());
            assertEquals(Answer.class, own.getReturnType(), m.getName());
        }
    }

    private static Method ownMethod(Method m) {
        try {
            return LocalNemesis.class.getDeclaredMethod(m.getName(), m.getParameterTypes());
        } catch (NoSuchMethodException e) {
            throw new AssertionError("LocalNemesis has no method " + m.getName(), e);
        }
    }

    @Test
    void whatRealProcessesCannotInjectSaysWhyInsteadOfDoingNothingSilently() {
        LocalTestCluster cluster = new LocalTestCluster(1, 3, LocalEnvOptions.defaults());
        LocalNemesis nemesis = new LocalNemesis(cluster);
        try {
            List<Fault> notHere = FaultExamples.all().stream()
                    .filter(f -> NOT_HERE.contains(f.getClass()))
                    .toList();
            assertEquals(NOT_HERE.size(), notHere.size());
            for (Fault f : notHere) {
                Answer a = f.accept(nemesis);
                assertTrue(a instanceof Answer.Now, f.toString());
                Object said = ((Map<?, ?>) ((Answer.Now) a).evidence()).get("no-effect");
                assertTrue(said instanceof String s && !s.isBlank(), f + ": " + a);
            }
            Answer stall = new DiskFault.StartFsyncStall("one", 100).accept(nemesis);
            assertEquals(LocalNemesis.NO_FSYNC_STALL, ((Map<?, ?>) ((Answer.Now) stall).evidence()).get("no-effect"));
        } finally {
            nemesis.teardown();
            cluster.close();
        }
    }
}
