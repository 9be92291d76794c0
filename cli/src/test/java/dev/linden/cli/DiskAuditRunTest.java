package dev.linden.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One short run on real node processes (link proxies, so no root is needed): after it, with the nodes
 * stopped, the harness read every node's WAL, the {@code disks} check passed having matched acknowledged
 * writes to the committed log, the :info operations it could decide were resolved (the original history
 * stored beside the sharper one), and the data dirs were deleted afterwards.
 */
class DiskAuditRunTest {
    @TempDir
    Path dir;

    private static long tempDirs() throws Exception {
        try (var ls = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return ls.filter(p -> p.getFileName().toString().startsWith("linden-local-"))
                    .count();
        }
    }

    @Test
    void theDisksAreAuditedAfterALocalRunAndInfoIsResolvedFromTheWals() throws Exception {
        long dirsBefore = tempDirs();
        TestRuns.Run r = TestRuns.test(
                dir,
                "local",
                "--net",
                "proxy",
                "--nodes",
                "3",
                "--nemesis",
                "partition,kill,pause",
                "--intensity",
                "2",
                "--time-limit",
                "10",
                "--seed",
                "5");
        assertEquals(0, r.exit(), r.out());
        Path latest = dir.resolve("store").resolve("latest");
        Map<?, ?> results =
                new ObjectMapper().readValue(latest.resolve("results.json").toFile(), Map.class);
        Map<?, ?> disks = (Map<?, ?>) ((Map<?, ?>) results.get("checks")).get("disks");
        assertEquals(true, disks.get("valid"), String.valueOf(disks));
        assertEquals(3, ((Map<?, ?>) disks.get("nodes")).size(), String.valueOf(disks));
        assertTrue(((Number) disks.get("acknowledged-writes-checked")).intValue() > 0, String.valueOf(disks));
        assertEquals(0, ((Number) disks.get("acknowledged-writes-unmatched")).intValue(), String.valueOf(disks));
        Map<?, ?> resolved = (Map<?, ?>) ((Map<?, ?>) results.get("run")).get("info-resolved");
        int ok = ((Number) resolved.get("ok")).intValue();
        int failed = ((Number) resolved.get("failed")).intValue();
        assertEquals(ok + failed, ((Number) resolved.get("resolved")).intValue());
        assertTrue(ok + failed <= ((Number) resolved.get("info")).intValue(), String.valueOf(resolved));
        String line = r.out()
                .lines()
                .filter(l -> l.startsWith("info resolved from WALs: "))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no info line in: " + r.out()));
        System.out.println(line + "; disks: " + disks.get("nodes"));
        assertTrue(Files.isRegularFile(latest.resolve("history-original.edn")));
        assertEquals(dirsBefore, tempDirs(), "the run left its data dirs behind");
    }
}
