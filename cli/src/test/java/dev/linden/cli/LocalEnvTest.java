package dev.linden.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The same declared test against real node processes ({@code --env local}): valid under kills,
 * pauses and partitions with the evidence of each, analyze agrees, a deliberately broken node build is
 * caught, and nothing is left behind, not even after a SIGINT in the middle of a run.
 */
class LocalEnvTest {
    @TempDir
    Path dir;

    /**
     * Node processes of the local test clusters of the harness with pid {@code harnessPid} (their data dirs are
     * under a linden-local- temp dir; each says whose with --exit-with-parent): never another process's, since
     * other runs on this machine (other tests, other checkouts) may have clusters of their own up.
     */
    private static List<ProcessHandle> nodeProcesses(long harnessPid) {
        String parent = "--exit-with-parent\u0000" + harnessPid + "\u0000";
        List<ProcessHandle> out = new ArrayList<>();
        ProcessHandle.allProcesses().forEach(p -> {
            try {
                String cmd = new String(
                        Files.readAllBytes(Path.of("/proc", String.valueOf(p.pid()), "cmdline")),
                        StandardCharsets.UTF_8);
                if (cmd.contains("/linden-local-") && cmd.contains("node") && cmd.contains(parent)) {
                    out.add(p);
                }
            } catch (Exception e) {
                // gone, or not ours to read
            }
        });
        return out;
    }

    private static long tempDirs() throws Exception {
        try (var ls = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return ls.filter(p -> p.getFileName().toString().startsWith("linden-local-"))
                    .count();
        }
    }

    @AfterEach
    void nothingLeftBehind() {
        List<ProcessHandle> left = nodeProcesses(ProcessHandle.current().pid());
        left.forEach(ProcessHandle::destroyForcibly);
        assertEquals(List.of(), left.stream().map(ProcessHandle::pid).toList(), "orphan node processes");
    }

    private TestRuns.Run test(String... args) {
        return TestRuns.test(dir, "local", args);
    }

    @Test
    void aLocalClusterUnderKillsPausesAndPartitionsIsValidWithEvidence() throws Exception {
        long dirsBefore = tempDirs();
        boolean faketime = Files.isReadable(Path.of("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"));
        if (System.getenv("CI") != null) {
            assertTrue(faketime, "CI installs faketime (see .ci/run)");
        }
        TestRuns.Run r = test(
                "--nodes",
                "3",
                "--nemesis",
                faketime ? "partition,kill,pause,clock" : "partition,kill,pause",
                "--intensity",
                "2",
                "--time-limit",
                "20",
                "--seed",
                "3");
        assertEquals(0, r.exit(), r.out());
        Path latest = dir.resolve("store").resolve("latest");
        Map<?, ?> results =
                new ObjectMapper().readValue(latest.resolve("results.json").toFile(), Map.class);
        Map<?, ?> byF = (Map<?, ?>) ((Map<?, ?>) ((Map<?, ?>) results.get("checks")).get("faults")).get("by-f");
        for (String f : faketime
                ? List.of("start-partition", "kill", "pause", "start-clock")
                : List.of("start-partition", "kill", "pause")) {
            assertTrue(
                    byF.get(f) instanceof Map<?, ?> m && ((Number) m.get("effective")).longValue() > 0,
                    f + " had no observed effect: " + byF);
        }
        assertTrue(Files.isRegularFile(latest.resolve("nodes/n1/node.log")));
        assertTrue(Files.isRegularFile(latest.resolve("index.html")));
        // Every node's event stream was judged by the simulator's monitors, and kept with the run.
        assertTrue(Files.isRegularFile(latest.resolve("nodes/n1/events.jsonl")));
        Map<?, ?> events =
                (Map<?, ?>) ((Map<?, ?>) ((Map<?, ?>) results.get("checks")).get("cluster")).get("event-monitor");
        assertTrue(((Number) events.get("leaders")).longValue() > 0, events.toString());
        assertTrue(((Number) events.get("highest-applied-index")).longValue() > 0, events.toString());
        AnalyzeCommand a = new AnalyzeCommand();
        new CommandLine(a).parseArgs(latest.toString());
        assertEquals(
                0, a.run(new PrintStream(new ByteArrayOutputStream()), new PrintStream(new ByteArrayOutputStream())));
        assertEquals(dirsBefore, tempDirs(), "the run left its temporary directory");
    }

    private static List<String> namespaces() throws Exception {
        Process p = new ProcessBuilder("ip", "netns", "list")
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out.lines()
                .filter(l -> l.startsWith("lnd" + ProcessHandle.current().pid()))
                .toList();
    }

    @Test
    void partitionsByIptablesInANamespacePerNodeLeaveNoNamespaceBehind() throws Exception {
        String why = null;
        try {
            Method m = Class.forName("dev.linden.realenv.Netns").getDeclaredMethod("unavailable");
            m.setAccessible(true);
            why = (String) m.invoke(null);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
        if (System.getenv("CI") != null) {
            assertEquals(null, why, "CI runs as root and installs iptables (see .ci/run)");
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(why == null, why);
        TestRuns.Run r = test(
                "--net",
                "netns",
                "--nodes",
                "3",
                "--nemesis",
                "partition,kill,disk-full",
                "--intensity",
                "2",
                "--time-limit",
                "15",
                "--seed",
                "2");
        if (r.exit() != 0) {
            keep(dir.resolve("store"), Path.of("target", "failed-runs", "netns"));
        }
        assertEquals(0, r.exit(), r.out());
        String results = Files.readString(dir.resolve("store").resolve("latest").resolve("results.json"));
        assertTrue(results.contains("iptables DROP rules") && results.contains("packets-dropped"), results);
        assertTrue(results.contains("data dirs filled to the last byte"), "no disk was filled: " + results);
        Process mounts = new ProcessBuilder("mount").start();
        String m = new String(mounts.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(!m.contains("linden-local-"), "tmpfs mounts left behind: " + m);
        assertEquals(List.of(), namespaces(), "network namespaces left behind");
    }

    @Test
    void aNodeBuildThatReadsWithoutReadIndexIsCaught() {
        // Real processes are not deterministic: a few short runs, one of which must catch the stale read.
        List<String> outs = new ArrayList<>();
        for (int seed = 4; seed < 8; seed++) {
            TestRuns.Run r = test(
                    "--nodes",
                    "3",
                    "--bug",
                    "unsafe-reads",
                    "--nemesis",
                    "kill",
                    "--intensity",
                    "3",
                    "--concurrency",
                    "8",
                    "--keys",
                    "2",
                    "--time-limit",
                    "20",
                    "--seed",
                    String.valueOf(seed));
            if (r.exit() == 1) {
                assertTrue(r.out().contains("workload invalid: key k"), r.out());
                return;
            }
            assertEquals(0, r.exit(), r.out());
            outs.add(r.out());
        }
        throw new AssertionError("stale reads of the broken build were never caught: " + outs);
    }

    @Test
    void aSigintMidTestLeavesNoProcessAndNoTemporaryDirectory() throws Exception {
        long dirsBefore = tempDirs();
        List<String> cmd = List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                "test",
                "--env",
                "local",
                "--nodes",
                "3",
                "--time-limit",
                "60",
                "--store",
                dir.resolve("store").toString(),
                "--quiet",
                "--seed",
                "1");
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("out.txt").toFile())
                .start();
        try {
            long deadline = System.currentTimeMillis() + 60_000;
            List<ProcessHandle> nodes = List.of();
            while (System.currentTimeMillis() < deadline) {
                nodes = p.descendants()
                        .filter(d -> nodeProcesses(p.pid()).stream().anyMatch(x -> x.pid() == d.pid()))
                        .toList();
                if (nodes.size() >= 3
                        && Files.readString(dir.resolve("out.txt")).contains("running")) {
                    break;
                }
                Thread.sleep(200);
            }
            assertTrue(nodes.size() >= 3, "the nodes never started: " + Files.readString(dir.resolve("out.txt")));
            Thread.sleep(3_000); // mid-test
            new ProcessBuilder("kill", "-INT", String.valueOf(p.pid())).start().waitFor();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the test did not stop on SIGINT");
            for (ProcessHandle n : nodes) {
                assertTrue(
                        n.onExit().get(10, TimeUnit.SECONDS) != null && !n.isAlive(), "node " + n.pid() + " survived");
            }
            assertEquals(dirsBefore, tempDirs(), "SIGINT left the run's temporary directory");
        } finally {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }

    /** Copies a failed run's store where it outlives the test's temporary directory (the module's target). */
    private static void keep(Path store, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(store)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path dest = to.resolve(store.relativize(f).toString());
                if (Files.isDirectory(f, LinkOption.NOFOLLOW_LINKS)) {
                    Files.createDirectories(dest);
                } else if (Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                    Files.copy(f, dest, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }
}
