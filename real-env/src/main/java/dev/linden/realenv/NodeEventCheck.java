package dev.linden.realenv;

import dev.linden.kvnode.events.EventFiles;
import dev.linden.kvnode.events.EventMonitor;
import dev.linden.kvnode.events.NodeEvent;
import dev.linden.kvnode.events.Violation;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safety monitors of the simulator, fed from real node processes: after a run, every node's
 * {@code events.jsonl} (see {@link EventFiles}) is read and given to one {@link EventMonitor}. What it
 * finds fails the {@code cluster} check with the node, index and time; each violation's time is also given
 * relative to the run's start, for the report's timeline. A node's clock is its own: under clock faults the
 * times of its events are as skewed as its clock (the properties themselves do not depend on them).
 */
final class NodeEventCheck {
    /** Violations placed on the timeline at most. */
    static final int MAX_VIOLATIONS_DRAWN = 100;

    private final EventMonitor monitor = new EventMonitor();
    private final Map<String, Object> facts = new LinkedHashMap<>();

    private NodeEventCheck() {}

    /** Reads each node's stream from its data dir and judges them together. */
    static NodeEventCheck of(Map<Integer, Path> dataDirs) {
        NodeEventCheck c = new NodeEventCheck();
        List<List<NodeEvent>> streams = new ArrayList<>();
        long skipped = 0;
        Map<String, Object> perNode = new LinkedHashMap<>();
        for (Map.Entry<Integer, Path> e : dataDirs.entrySet()) {
            try {
                EventFiles.Stream s = EventFiles.read(e.getValue());
                streams.add(s.events());
                skipped += s.linesSkipped();
                perNode.put(String.valueOf(e.getKey()), s.events().size());
            } catch (IOException ex) {
                perNode.put(String.valueOf(e.getKey()), "unreadable: " + ex.getMessage());
            }
        }
        EventFiles.feed(streams, c.monitor);
        c.facts.put("events-per-node", perNode);
        c.facts.put("lines-skipped", skipped);
        c.facts.putAll(c.monitor.facts());
        return c;
    }

    List<Violation> violations() {
        return monitor.violations();
    }

    Map<String, Object> facts() {
        return facts;
    }

    /**
     * Each violation as the report draws it: {@code ms} since the run's start (by the harness's wall clock at
     * {@code runStartWallMillis}), node, index and what.
     */
    List<Map<String, Object>> timeline(long runStartWallMillis) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Violation v : monitor.violations()) {
            if (out.size() >= MAX_VIOLATIONS_DRAWN) {
                break;
            }
            out.add(v.asData(runStartWallMillis));
        }
        return out;
    }
}
