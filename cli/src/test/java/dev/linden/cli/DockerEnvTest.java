package dev.linden.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.linden.realenv.Containers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --env docker}: each node in a container of its own (through Testcontainers, from an image built
 * here with jlink and no registry), killed and paused by the engine, links through the harness's proxies
 * on the host's network. Skipped, saying why, where no Docker engine is reachable; CI starts one.
 */
class DockerEnvTest {
    @TempDir
    Path dir;

    @Test
    void nodesInContainersUnderKillsPausesAndPartitionsAreValidAndLeaveNoContainer() throws Exception {
        String why = Containers.unavailable();
        if (System.getenv("CI") != null && "root".equals(System.getProperty("user.name"))) {
            assertEquals(null, why, "CI starts a Docker engine (see .ci/run)");
        }
        assumeTrue(why == null, "no Docker engine: " + why);
        TestRuns.Run r = TestRuns.test(
                dir,
                "docker",
                "--nodes",
                "3",
                "--nemesis",
                "partition,kill,pause",
                "--intensity",
                "2",
                "--time-limit",
                "20",
                "--seed",
                "5");
        assertEquals(0, r.exit(), r.out());
        Path latest = dir.resolve("store").resolve("latest");
        Map<?, ?> results =
                new ObjectMapper().readValue(latest.resolve("results.json").toFile(), Map.class);
        Map<?, ?> byF = (Map<?, ?>) ((Map<?, ?>) ((Map<?, ?>) results.get("checks")).get("faults")).get("by-f");
        for (String f : List.of("start-partition", "kill", "pause")) {
            assertTrue(
                    byF.get(f) instanceof Map<?, ?> m && ((Number) m.get("effective")).longValue() > 0,
                    f + " had no observed effect: " + byF);
        }
        String history = Files.readString(latest.resolve("history.txt"));
        assertTrue(history.contains("killed by the engine") && history.contains("paused by the engine"), history);
        assertTrue(Files.readString(latest.resolve("test.json")).contains("\"docker\""));
        assertEquals(List.of(), Containers.ofThisHarness(), "containers left behind");
        assertTrue(Files.size(latest.resolve("nodes/n1/node.log")) > 0, "the container's output is the node's log");
    }
}
