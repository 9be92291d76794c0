package dev.linden.kvnode.events;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * Where a node's event stream lives in its data dir and how it is read back: {@code events.1.jsonl} (the
 * older part, after a rotation) then {@code events.jsonl}. Lines that do not decode (a torn last line of a
 * killed node, a line from a newer writer) are skipped and counted.
 */
public final class EventFiles {
    public static final String FILE_NAME = "events.jsonl";
    public static final String ROTATED_FILE_NAME = "events.1.jsonl";
    /** Lines read at most from one node's files: a reader's memory stays bounded whatever it finds. */
    public static final long MAX_LINES_PER_NODE = 20_000_000L;

    private EventFiles() {}

    /** One node's events in the order it wrote them, and how many lines were skipped. */
    public record Stream(List<NodeEvent> events, long linesSkipped) {}

    /** The event files in {@code dir}, oldest first (those that exist). */
    public static List<Path> files(Path dir) {
        List<Path> files = new ArrayList<>();
        for (String name : List.of(ROTATED_FILE_NAME, FILE_NAME)) {
            if (Files.exists(dir.resolve(name))) {
                files.add(dir.resolve(name));
            }
        }
        return files;
    }

    public static Stream read(Path dir) throws IOException {
        List<NodeEvent> events = new ArrayList<>();
        long skipped = 0;
        long lines = 0;
        for (Path f : files(dir)) {
            try (BufferedReader r = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
                for (String line = r.readLine(); line != null && lines < MAX_LINES_PER_NODE; line = r.readLine()) {
                    lines++;
                    NodeEvent ev = EventCodec.decode(line);
                    if (ev == null) {
                        skipped++;
                        ev = afterTornPrefix(line);
                    }
                    if (ev != null) {
                        events.add(ev);
                    }
                }
            }
        }
        return new Stream(events, skipped);
    }

    /**
     * The event after a torn prefix in one line: a node killed in the middle of a line, and the next life's first
     * event written after it (a writer that did not start on a new line); null if there is none.
     */
    private static NodeEvent afterTornPrefix(String line) {
        int at = line.lastIndexOf("{\"e\":");
        return at > 0 ? EventCodec.decode(line.substring(at)) : null;
    }

    /**
     * Feeds every node's stream to {@code monitor}, merged by time: the next event is the earliest of the
     * nodes' next ones, so each node's own order is kept even if its clock stepped back. The properties that
     * compare nodes do not depend on this order; the times only place what is found on the run's timeline.
     */
    public static void feed(List<List<NodeEvent>> streams, EventMonitor monitor) {
        int[] next = new int[streams.size()];
        PriorityQueue<Integer> byTime = new PriorityQueue<>(Comparator.comparingLong(
                        (Integer s) -> streams.get(s).get(next[s]).atMillis())
                .thenComparingInt(s -> s));
        for (int s = 0; s < streams.size(); s++) {
            if (!streams.get(s).isEmpty()) {
                byTime.add(s);
            }
        }
        while (!byTime.isEmpty()) {
            int s = byTime.poll();
            monitor.accept(streams.get(s).get(next[s]++));
            if (next[s] < streams.get(s).size()) {
                byTime.add(s);
            }
        }
    }
}
