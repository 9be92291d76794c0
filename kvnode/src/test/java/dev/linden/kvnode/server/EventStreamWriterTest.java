package dev.linden.kvnode.server;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.kvnode.events.EventFiles;
import dev.linden.kvnode.events.EventMonitor;
import dev.linden.kvnode.events.NodeEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EventStreamWriterTest {
    @TempDir
    Path dir;

    @Test
    void writesRotatesAndReadsBackInOrder() throws Exception {
        try (EventStreamWriter w = new EventStreamWriter(dir, 1_000, 2_000)) {
            w.accept(new NodeEvent.Started(1, 1, 1, 0, 0, 0, 0));
            for (int i = 0; i < 100; i++) {
                w.accept(new NodeEvent.CommitAdvanced(2 + i, 1, 2 + i, 1, false, 1 + i, 1));
                while (w.dropped() == 0 && i % 10 == 0 && Files.size(dir.resolve(EventFiles.FILE_NAME)) == 0) {
                    Thread.sleep(1);
                }
            }
        }
        assertTrue(Files.exists(dir.resolve(EventFiles.ROTATED_FILE_NAME)), "rotated at 2000 bytes");
        assertTrue(Files.size(dir.resolve(EventFiles.FILE_NAME)) <= 2_000);
        List<NodeEvent> events = EventFiles.read(dir).events();
        long seq = events.get(0).seq();
        for (NodeEvent ev : events) {
            assertEquals(seq++, ev.seq(), "in order across the rotation");
        }
        assertEquals(101, events.get(events.size() - 1).seq());
    }

    /** A node killed in the middle of a line: its next life starts on a line of its own, and is read back. */
    @Test
    void aLifeAfterATornLineStartsOnItsOwnLine() throws Exception {
        Files.writeString(dir.resolve(EventFiles.FILE_NAME), "{\"e\":\"applied\",\"n\":1,\"s");
        try (EventStreamWriter w = new EventStreamWriter(dir, 1_000, 1 << 20)) {
            w.accept(new NodeEvent.Started(1, 1, 1, 3, 2, 377, 0));
        }
        EventFiles.Stream s = EventFiles.read(dir);
        assertEquals(1, s.linesSkipped());
        assertEquals(List.of(new NodeEvent.Started(1, 1, 1, 3, 2, 377, 0)), s.events());
        // Files torn that way by an older writer: the event after the torn prefix is still read.
        Files.writeString(
                dir.resolve(EventFiles.FILE_NAME),
                "{\"e\":\"applied\",\"n\":1,\"s"
                        + Files.readString(dir.resolve(EventFiles.FILE_NAME)).strip() + "\n");
        assertEquals(
                List.of(new NodeEvent.Started(1, 1, 1, 3, 2, 377, 0)),
                EventFiles.read(dir).events());
    }

    @Test
    void aFullQueueDropsAndTheGapShows() throws Exception {
        Files.writeString(dir.resolve(EventFiles.FILE_NAME), "");
        EventStreamWriter w = new EventStreamWriter(dir, 1, 1 << 20);
        for (int i = 1; i <= 10_000; i++) {
            w.accept(new NodeEvent.CommitAdvanced(i, 1, i, 1, false, i, 1));
        }
        assertTrue(w.dropped() > 0, "a queue of one took 10,000 events in a tight loop");
        // Once what was queued is on disk, one more event is written after the drops: the gap shows
        // however the writer thread was scheduled (CI saw every drop after the only event written).
        await().atMost(Duration.ofSeconds(10))
                .until(() -> EventFiles.read(dir).events().size() + w.dropped() == 10_000);
        w.accept(new NodeEvent.CommitAdvanced(10_001, 1, 10_001, 1, false, 10_001, 1));
        w.close();
        Files.writeString(
                dir.resolve(EventFiles.FILE_NAME),
                "{\"e\":\"commit\",\"n\":1,\"s\":", // a torn line
                StandardOpenOption.APPEND);
        EventFiles.Stream s = EventFiles.read(dir);
        assertEquals(1, s.linesSkipped());
        assertEquals(10_001, s.events().size() + w.dropped());
        EventMonitor m = new EventMonitor();
        EventFiles.feed(List.of(s.events()), m);
        // Gaps between the events written; drops after the last one written show only in node.log.
        long gaps = (Long) m.facts().get("events-dropped");
        assertTrue(gaps > 0 && gaps <= w.dropped(), gaps + " of " + w.dropped());
        assertEquals(List.of(), m.violations());
    }

    @Test
    void aPowerCutsLastActWritesEveryEventQueuedOrTakenOnTheCallersThread() throws Exception {
        EventStreamWriter w = new EventStreamWriter(dir, 1_000, 1 << 20);
        try {
            for (int round = 1; round <= 20; round++) {
                long first = round * 100L;
                for (long i = first; i < first + 5; i++) {
                    w.accept(new NodeEvent.CommitAdvanced(i, 1, i, 1, false, i, 1));
                }
                // The writer thread holds the first while it lets more gather: written all the same, now.
                w.writeQueued();
                List<NodeEvent> events = EventFiles.read(dir).events();
                assertEquals(round * 5, events.size(), "round " + round);
                assertEquals(first + 4, ((NodeEvent.CommitAdvanced) events.get(events.size() - 1)).seq());
            }
        } finally {
            w.close();
        }
        assertEquals(100, EventFiles.read(dir).events().size(), "none written twice");
    }
}
