package dev.linden.realenv;

import dev.linden.nemesis.FaultOps;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** The {@code peer-conn-flood} fault ({@link HostileAttacks}), held by {@link ConnectionHolder} processes. */
final class PeerConnFlood {
    /** Connections one helper process holds, at most: a node's own limit (20,000 here) less a reserve. */
    static final int CONNECTIONS_PER_HELPER_MAX = 17_000;

    static final int HELPERS_MAX = 3;
    private final HostileAttacks h;

    PeerConnFlood(HostileAttacks h) {
        this.h = h;
    }

    /**
     * Idle connections to the targets' peer ports, held by helper processes ({@link ConnectionHolder}): a node
     * has as many file handles as the harness, so the harness alone could not use up a node's.
     */
    HostileAttacks.Result start(List<Integer> targets, int perNodeAsked) throws IOException {
        if (targets.isEmpty()) {
            return new HostileAttacks.Result(FaultOps.noEffect("no target (no follower?)"), null);
        }
        int perNode = Math.min(perNodeAsked, ConnectionHolder.MAX_CONNECTIONS);
        long total = (long) perNode * targets.size();
        int helperCount =
                (int) Math.min(HELPERS_MAX, (total + CONNECTIONS_PER_HELPER_MAX - 1) / CONNECTIONS_PER_HELPER_MAX);
        // Each helper takes an equal share of every target's connections.
        List<Process> mine = new ArrayList<>();
        List<String> said = new ArrayList<>();
        long opened = 0;
        long failed = 0;
        for (int i = 0; i < helperCount; i++) {
            List<String> cmd = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx64m",
                    "-XX:+UseSerialGC",
                    "-XX:TieredStopAtLevel=1",
                    "-cp",
                    System.getProperty("java.class.path"),
                    ConnectionHolder.class.getName()));
            for (int id : targets) {
                cmd.add(h.c.peerPort(id) + ":"
                        + Math.min(
                                CONNECTIONS_PER_HELPER_MAX / targets.size(),
                                (perNode + helperCount - 1) / helperCount));
            }
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            h.helpers.add(p);
            mine.add(p);
        }
        for (Process p : mine) {
            String line = firstLine(p, 30_000);
            said.add(line);
            String[] w = line.split(" ");
            if (w.length >= 4 && w[0].equals("opened")) {
                opened += Long.parseLong(w[1]);
                failed += Long.parseLong(w[3]);
            }
        }
        if (opened == 0) {
            for (Process p : mine) {
                stopHelper(p);
                h.helpers.remove(p);
            }
            return new HostileAttacks.Result(
                    FaultOps.noEffect("no connection opened", "targets", targets, "helpers-said", said), null);
        }
        HostileAttacks.sleep(1_000);
        Map<String, Object> probes = new TreeMap<>();
        for (int id : targets) {
            probes.put(String.valueOf(id), h.newClientAnswers(id));
        }
        Object evidence = FaultOps.effect(
                "idle connections to peer ports, held by helper processes",
                "targets",
                targets,
                "connections-per-node",
                perNode,
                "helpers",
                helperCount,
                "opened",
                opened,
                "failed",
                failed,
                "helpers-said",
                said,
                "new-client",
                probes);
        return new HostileAttacks.Result(evidence, () -> {
            List<String> closing = new ArrayList<>();
            for (Process p : mine) {
                closing.add(stopHelper(p));
                h.helpers.remove(p);
            }
            return FaultOps.effect("helpers closed their connections and exited", "helpers-said", closing);
        });
    }

    private final Map<Process, BufferedReader> readers = new ConcurrentHashMap<>();

    /** The helper's next line of output, waiting at most {@code millis} (the helper is killed past that). */
    private String firstLine(Process p, long millis) {
        BufferedReader r = readers.computeIfAbsent(
                p, x -> new BufferedReader(new InputStreamReader(x.getInputStream(), StandardCharsets.UTF_8)));
        CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
            try {
                String s = r.readLine();
                return s == null ? "exited with code " + p.waitFor() : s;
            } catch (IOException e) {
                return "unreadable: " + e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "interrupted";
            }
        });
        try {
            return line.get(millis, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            p.destroyForcibly();
            return "no answer within " + millis + " ms; killed";
        }
    }

    /** Tells a helper to close its connections and exit; kills it if it does not within 10 s. */
    private String stopHelper(Process p) {
        try (OutputStream in = p.getOutputStream()) {
            in.write("stop\n".getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            // already gone: its connections went with it
        }
        String said = p.isAlive() || readers.containsKey(p) ? firstLine(p, 10_000) : "exited";
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
        }
        readers.remove(p);
        return said;
    }
}
