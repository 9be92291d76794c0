package dev.linden.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --toxiproxy HOST:PORT}: every peer link of a local run also passes a Toxiproxy proxy, and link
 * clogs become latency, bandwidth, slicer (and sometimes timeout) toxics. No Toxiproxy server can be
 * installed on these machines, so the first test drives a stand-in that speaks the server's API and
 * forwards the bytes ({@link FakeToxiproxy}); the second runs against a real server only when
 * LINDEN_TOXIPROXY=HOST:PORT names one, and is skipped otherwise.
 */
class ToxiproxyTest {
    @TempDir
    Path dir;

    private TestRuns.Run test(String... args) {
        return TestRuns.test(dir, "local", args);
    }

    private String history() throws Exception {
        return Files.readString(dir.resolve("store").resolve("latest").resolve("history.txt"));
    }

    @Test
    void peerLinksPassTheToxiproxyServerAndClogsAreItsToxics() throws Exception {
        try (FakeToxiproxy server = new FakeToxiproxy()) {
            TestRuns.Run r = test(
                    "--nodes",
                    "3",
                    "--nemesis",
                    "clog,partition",
                    "--intensity",
                    "3",
                    "--time-limit",
                    "15",
                    "--seed",
                    "11",
                    "--toxiproxy",
                    "127.0.0.1:" + server.port());
            assertEquals(0, r.exit(), r.out());
            String h = history();
            assertTrue(h.contains("links clogged by Toxiproxy toxics"), "a clog through Toxiproxy:\n" + h);
            assertTrue(
                    server.toxicsCreated.stream().anyMatch(t -> t.endsWith("/latency"))
                            && server.toxicsCreated.stream().anyMatch(t -> t.endsWith("/bandwidth"))
                            && server.toxicsCreated.stream().anyMatch(t -> t.endsWith("/slicer")),
                    server.toxicsCreated.toString());
            assertTrue(
                    server.toxicsActive.isEmpty(), "every toxic removed when the clog ended: " + server.toxicsActive);
            assertTrue(server.bytesForwarded.get() > 10_000, "peer traffic crossed the Toxiproxy proxies");
            assertEquals(3, server.proxiesDeleted.get(), "the run deleted its three link proxies");
            assertTrue(server.proxies.isEmpty());
        }
    }

    @Test
    void noServerAtTheAddressIsAHarnessErrorThatSaysSo() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort(); // nothing listens there once closed
        }
        TestRuns.Run r =
                test("--nodes", "3", "--nemesis", "clog", "--time-limit", "5", "--toxiproxy", "127.0.0.1:" + port);
        assertEquals(3, r.exit(), r.out());
        assertTrue(r.out().contains("no Toxiproxy server answers"), r.out());
    }

    @Test
    @EnabledIfEnvironmentVariable(named = "LINDEN_TOXIPROXY", matches = ".+:[0-9]+")
    void aRealToxiproxyServer() throws Exception {
        TestRuns.Run r = test(
                "--nodes",
                "3",
                "--nemesis",
                "clog,partition",
                "--intensity",
                "3",
                "--time-limit",
                "20",
                "--toxiproxy",
                System.getenv("LINDEN_TOXIPROXY"));
        assertEquals(0, r.exit(), r.out());
        assertTrue(history().contains("links clogged by Toxiproxy toxics"));
    }
}
