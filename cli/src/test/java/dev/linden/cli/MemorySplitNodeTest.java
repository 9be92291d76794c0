package dev.linden.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 24's finding 4 on a real node process: the memory split it logs, and a quota it cannot hold. */
class MemorySplitNodeTest {
    @TempDir
    Path dir;

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Runs a node JVM with these flags for at most {@code seconds}; returns its exit code (-1: still running). */
    private int node(List<String> jvm, String out, long seconds, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(
                List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(jvm);
        cmd.addAll(List.of(
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                "node",
                "--id",
                "1",
                "--peers",
                "1=127.0.0.1:" + freePort(),
                "--client-port",
                String.valueOf(freePort()),
                "--data-dir",
                dir.resolve("d-" + out).toString(),
                "--cluster-id",
                "m",
                "--insecure"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve(out).toFile())
                .start();
        try {
            if (p.waitFor(seconds, TimeUnit.SECONDS)) {
                return p.exitValue();
            }
            return -1;
        } finally {
            p.destroyForcibly();
            p.onExit().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aNodeWithNoMemoryFlagsLogsItsSplit() throws Exception {
        node(List.of(), "plain.log", 6);
        String log = Files.readString(dir.resolve("plain.log"));
        assertTrue(
                log.matches("(?s).*event=memory-split heap-mb=\\d+ netty-direct-mb=\\d+ values-direct-mb=\\d+ .*"),
                log);
    }

    @Test
    void aQuotaTheMemoryCannotHoldRefusesTheStartAndTheDefaultIsLowered() throws Exception {
        assertEquals(2, node(List.of("-Xmx128m"), "big.log", 30, "--quota-bytes", String.valueOf(512L << 20)));
        String log = Files.readString(dir.resolve("big.log"));
        assertTrue(log.contains("lower --quota-bytes or raise -Xmx"), log);
        node(List.of("-Xmx128m"), "default.log", 6);
        log = Files.readString(dir.resolve("default.log"));
        assertTrue(log.contains("event=limit-lowered what=quota-bytes"), log);
    }
}
