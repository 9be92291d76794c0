package dev.linden.realenv;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * What the nodes of a local run did that the harness cannot see through the client port, counted from their logs
 * at the end of the run: snapshots written and installed (so a run's facts show it reached them). Bounded: at
 * most {@link #MAX_LINES_READ} lines of each node's log are read.
 */
final class NodeLogCounts {
    static final int MAX_LINES_READ = 2_000_000;

    /** The events counted, by the fact name each is reported under. */
    static final Map<String, String> EVENTS = Map.of(
            "snapshots-written", "event=snapshot-written",
            "snapshots-installed", "event=snapshot-installed");

    private NodeLogCounts() {}

    /** Per fact, the events found in the nodes' {@code node.log}s, summed over nodes. */
    static Map<String, Long> count(Collection<Integer> nodes, IntFunction<Path> dataDir) {
        Map<String, Long> out = new LinkedHashMap<>();
        out.put("snapshots-written", 0L);
        out.put("snapshots-installed", 0L);
        for (int id : nodes) {
            Path log = dataDir.apply(id).resolve("node.log");
            if (!Files.isRegularFile(log)) {
                continue;
            }
            try (BufferedReader r = Files.newBufferedReader(log, StandardCharsets.UTF_8)) {
                String line;
                for (int n = 0; n < MAX_LINES_READ && (line = r.readLine()) != null; n++) {
                    for (Map.Entry<String, String> e : EVENTS.entrySet()) {
                        if (line.contains(e.getValue())) {
                            out.merge(e.getKey(), 1L, Long::sum);
                        }
                    }
                }
            } catch (IOException e) {
                // a log that cannot be read counts nothing (the run's own checks do not depend on it)
            }
        }
        return out;
    }
}
