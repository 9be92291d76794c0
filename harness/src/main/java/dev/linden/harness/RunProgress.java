package dev.linden.harness;

import dev.linden.checker.history.OpType;
import dev.linden.nemesis.Fault;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * What a person watching a run sees: every so often (run time), one line with the phase, the operations
 * invoked and how they completed, the operations in flight and the faults active now.
 */
final class RunProgress {
    private static final long MS = 1_000_000L;

    private final Consumer<String> out;
    private final long everyNanos;
    private long nextNanos;
    private final Map<String, String> activeFaults = new TreeMap<>();
    private final long[] counts = new long[3]; // ok, fail, info
    private long invoked;

    /** {@code out} receives the lines (null: none are made). */
    RunProgress(Consumer<String> out, long everyMillis) {
        this.out = out;
        this.everyNanos = everyMillis * MS;
    }

    /** The first line is due one interval after {@code nowNanos}. */
    void startAt(long nowNanos) {
        nextNanos = nowNanos + everyNanos;
    }

    void invoked() {
        invoked++;
    }

    void completed(OpType type) {
        counts[type == OpType.OK ? 0 : type == OpType.FAIL ? 1 : 2]++;
    }

    /** The nemesis healed everything: no fault is active. */
    void healed() {
        activeFaults.clear();
    }

    /** A fault operation completed: the faults active from now on. */
    void trackFault(Fault fault) {
        Map<?, ?> m = fault.value() != null ? fault.value() : Map.of();
        switch (fault.name()) {
            case "start-partition" -> activeFaults.put("partition", String.valueOf(m.get("shape")));
            case "stop-partition" -> activeFaults.remove("partition");
            case "kill" -> activeFaults.put("kill", String.valueOf(m.get("targets")));
            case "start" -> activeFaults.remove("kill");
            case "pause" -> activeFaults.put("pause", String.valueOf(m.get("targets")));
            case "resume" -> activeFaults.remove("pause");
            case "start-clock" ->
                activeFaults.put(
                        "clock",
                        m.get("targets") + (Boolean.TRUE.equals(m.get("isolate")) ? ", isolated (stale leader)" : ""));
            case "stop-clock" -> activeFaults.remove("clock");
            case "start-disk-full" -> activeFaults.put("disk-full", String.valueOf(m.get("targets")));
            case "stop-disk-full" -> activeFaults.remove("disk-full");
            case "start-fsync-stall" -> activeFaults.put("fsync-stall", String.valueOf(m.get("targets")));
            case "stop-fsync-stall" -> activeFaults.remove("fsync-stall");
            case "start-link" -> activeFaults.put("link-" + m.get("behavior"), "on");
            case "stop-link" -> activeFaults.remove("link-" + m.get("behavior"));
            default -> {
                // point faults (bitflip, wipe-disk) are not active afterwards
            }
        }
    }

    /** A line is due at {@code nowNanos}. */
    boolean due(long nowNanos) {
        return out != null && nowNanos >= nextNanos;
    }

    /** Prints the line that is {@link #due}. */
    void print(long nowNanos, String phase, int inFlight) {
        nextNanos = nowNanos + everyNanos;
        StringBuilder b = new StringBuilder();
        b.append(String.format(
                "[%7.1fs] %-12s %d ops (ok %d, fail %d, info %d), %d in flight; faults: ",
                nowNanos / 1e9, phase, invoked, counts[0], counts[1], counts[2], inFlight));
        if (activeFaults.isEmpty()) {
            b.append("none");
        } else {
            List<String> fs = new ArrayList<>();
            activeFaults.forEach((k, v) -> fs.add(v.equals("on") ? k : k + "(" + v + ")"));
            b.append(String.join(", ", fs));
        }
        out.accept(b.toString());
    }
}
