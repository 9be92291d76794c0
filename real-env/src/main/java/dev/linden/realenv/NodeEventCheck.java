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
    private final List<Violation> violations = new ArrayList<>();
    private final Map<String, Object> facts = new LinkedHashMap<>();

    /**
     * WAL records a fault cut or deleted while {@code node} was down: its next start, the first after its event
     * numbered {@code afterSeq} at {@code afterAtMillis} (seq 0: the first start in its stream), must report it
     * ({@link EventMonitor#walRecordsLost}, the rule the simulator applies too).
     */
    record LogLoss(int node, long afterSeq, long afterAtMillis, String what) {
        /** A loss in the node whose data dir is {@code dataDir}, after the last event it recorded there. */
        static LogLoss after(int node, Path dataDir, String what) {
            try {
                List<NodeEvent> events = EventFiles.read(dataDir).events();
                if (!events.isEmpty()) {
                    NodeEvent last = events.get(events.size() - 1);
                    return new LogLoss(node, last.seq(), last.atMillis(), what);
                }
            } catch (IOException e) {
                // no stream yet: its start is the first
            }
            return new LogLoss(node, 0, 0, what);
        }
    }

    private NodeEventCheck() {}

    /**
     * Reads each node's stream from its data dir and judges them together, and each start after a loss of WAL
     * records by whether it reported lost log.
     */
    static NodeEventCheck of(
            Map<Integer, Path> dataDirs,
            List<LogLoss> losses,
            List<LeadershipStability.Period> stablePeriods,
            long runStartWallMillis,
            boolean clocksMoved) {
        NodeEventCheck c = new NodeEventCheck();
        if (clocksMoved) {
            // Merged by the nodes' own clocks, a leader's count and another node's start may come out of order.
            c.monitor.skipAcknowledgementRule("a clock fault moved node clocks, so their event times do not order"
                    + " one node's events against another's");
        }
        Map<Integer, List<NodeEvent>> byNode = new LinkedHashMap<>();
        List<List<NodeEvent>> streams = new ArrayList<>();
        long skipped = 0;
        Map<String, Object> perNode = new LinkedHashMap<>();
        for (Map.Entry<Integer, Path> e : dataDirs.entrySet()) {
            try {
                EventFiles.Stream s = EventFiles.read(e.getValue());
                streams.add(s.events());
                byNode.put(e.getKey(), s.events());
                skipped += s.linesSkipped();
                perNode.put(String.valueOf(e.getKey()), s.events().size());
            } catch (IOException ex) {
                perNode.put(String.valueOf(e.getKey()), "unreadable: " + ex.getMessage());
            }
        }
        for (LogLoss loss : losses) {
            c.monitor.walRecordsLost(loss.node(), loss.afterSeq(), loss.afterAtMillis(), loss.what());
        }
        EventFiles.feed(streams, c.monitor);
        c.facts.put("events-per-node", perNode);
        c.facts.put("lines-skipped", skipped);
        c.facts.putAll(c.monitor.facts());
        c.violations.addAll(c.monitor.violations());
        c.violations.addAll(LeadershipStability.judge(stablePeriods, byNode, runStartWallMillis, c.facts));
        return c;
    }

    List<Violation> violations() {
        return violations;
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
        for (Violation v : violations) {
            if (out.size() >= MAX_VIOLATIONS_DRAWN) {
                break;
            }
            out.add(v.asData(runStartWallMillis));
        }
        return out;
    }
}
