package dev.linden.realenv;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;

/**
 * What a bench says of its local node processes after they stopped: each node's whole-life times (its log's
 * {@code times:} line at shutdown) and GC pauses, then its times and GC pauses inside each measured window, from
 * its times log and GC log (see {@link NodeWindowTimes}): where a write's time went while it was measured.
 */
public final class NodeReports {
    private NodeReports() {}

    /**
     * {@code benchDir} holds {@code node-N/} and {@code gc-N.log}; null (nodes in process) says less. {@code client}:
     * the bench JVM's own collections, whose pauses every write it times also waits for.
     */
    public static void print(
            LocalCluster cluster,
            int nodes,
            Path benchDir,
            Map<String, WriteLoad.Result> windows,
            JvmGcPauses client,
            PrintStream out) {
        for (int i = 1; i <= nodes && benchDir != null; i++) {
            cluster.lastLogLines(i, 20).stream()
                    .filter(l -> l.contains(" times: "))
                    .forEach(out::println);
            out.println("node " + i + " " + GcPauses.summary(benchDir.resolve("gc-" + i + ".log")));
        }
        windows.forEach((what, r) -> {
            long from = r.windowStartMillis();
            long to = r.windowEndMillis();
            out.println("client in the " + what + " window: " + client.summary(from, to));
            for (int i = 1; i <= nodes && benchDir != null; i++) {
                out.println("node " + i + " in the " + what + " window: "
                        + NodeWindowTimes.times(cluster.nodeDir(i).resolve("times.hlog"), from, to) + "; "
                        + NodeWindowTimes.gcPauses(benchDir.resolve("gc-" + i + ".log"), from, to));
            }
        });
    }
}
