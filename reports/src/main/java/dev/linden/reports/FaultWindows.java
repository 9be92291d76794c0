package dev.linden.reports;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Fault windows from the nemesis operations of a history: each start paired with its stop (or with
 * the heal, or the end of the run), and faults that act at one instant (bit flips, wiped disks) as
 * windows of no width.
 */
final class FaultWindows {
    private FaultWindows() {}

    /** One window: the fault's kind (its colour), a label, and its span in nanoseconds. */
    record Window(String kind, String label, long startNanos, long endNanos, boolean effective) {
        Map<String, Object> asData() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("kind", kind);
            m.put("label", label);
            m.put("start", startNanos / 1e9);
            m.put("end", endNanos / 1e9);
            m.put("effective", effective);
            return m;
        }
    }

    private static String kindOfStart(String f, Object value) {
        switch (f) {
            case "start-partition":
                return "partition";
            case "kill":
                return "kill";
            case "pause":
                return "pause";
            case "start-clock":
                return "clock";
            case "start-disk-full":
                return "disk-full";
            case "start-fsync-stall":
                return "fsync-stall";
            case "start-link":
                return "link-" + RunData.get(value, "behavior");
            default:
                return null;
        }
    }

    private static String kindOfStop(String f, Object value) {
        switch (f) {
            case "stop-partition":
                return "partition";
            case "start":
                return "kill";
            case "resume":
                return "pause";
            case "stop-clock":
                return "clock";
            case "stop-disk-full":
                return "disk-full";
            case "stop-fsync-stall":
                return "fsync-stall";
            case "stop-link":
                return "link-" + RunData.get(value, "behavior");
            default:
                return null;
        }
    }

    static List<Window> of(RunData run) {
        List<Window> out = new ArrayList<>();
        Map<String, RunData.Pair> open = new LinkedHashMap<>();
        for (RunData.Pair p : run.pairs) {
            if (!p.nemesis()) {
                continue;
            }
            String start = kindOfStart(p.f(), p.input());
            String stop = kindOfStop(p.f(), p.input());
            if (start != null) {
                open.put(start, p);
            } else if (stop != null) {
                RunData.Pair s = open.remove(stop);
                if (s != null) {
                    out.add(window(stop, s, p.invokeNanos()));
                }
            } else if (p.f().equals("heal")) {
                for (Map.Entry<String, RunData.Pair> e : open.entrySet()) {
                    out.add(window(e.getKey(), e.getValue(), p.invokeNanos()));
                }
                open.clear();
            } else {
                out.add(window(p.f(), p, p.invokeNanos()));
            }
        }
        for (Map.Entry<String, RunData.Pair> e : open.entrySet()) {
            out.add(window(e.getKey(), e.getValue(), run.endNanos));
        }
        out.sort(Comparator.comparingLong(Window::startNanos));
        return out;
    }

    private static Window window(String kind, RunData.Pair start, long endNanos) {
        Object result = start.output();
        boolean effective = RunData.get(result, "effect") != null;
        StringBuilder label = new StringBuilder(kind);
        Object nodes = RunData.get(result, "nodes");
        Object shape = RunData.get(start.input(), "shape");
        if (shape != null) {
            label.append(' ').append(shape);
        }
        if (nodes != null) {
            label.append(' ').append(nodes);
        } else if (RunData.get(result, "node") != null) {
            label.append(" [").append(RunData.get(result, "node")).append(']');
        }
        if (!effective) {
            label.append(" (no effect)");
        }
        return new Window(
                kind, label.toString(), start.invokeNanos(), Math.max(start.invokeNanos(), endNanos), effective);
    }
}
