package dev.linden.kvnode.events;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class EventCodecTest {
    @Test
    void everyKindRoundTrips() {
        Streams s = new Streams()
                .started(1, 4, 2, 100)
                .saved(1, 5, 3)
                .voted(1, 5, 3)
                .leader(1, 6, 100, 130, 101, 4, 120, 6)
                .commit(1, 6, true, 125, 6)
                .applied(1, 101, 5, 4, -7)
                .snapshot(1, true, 130, -2L);
        List<NodeEvent> events = new ArrayList<>(s.events());
        events.add(new NodeEvent.RoleChanged(1, 1, 9, 6, "leader", 1));
        events.add(new NodeEvent.MembershipInForce(2, 1, 10, new int[] {1, 2, 3}, 77, 70, true));
        for (NodeEvent ev : events) {
            String line = EventCodec.encode(ev);
            NodeEvent back = EventCodec.decode(line);
            assertEquals(line, EventCodec.encode(back), line);
        }
        NodeEvent.Applied a = (NodeEvent.Applied) EventCodec.decode(EventCodec.encode(events.get(5)));
        assertArrayEquals(new long[] {4, 4, 4, 4, 4}, a.terms());
        assertEquals(-7 + 101, a.hashes()[0]);
        NodeEvent.LeaderElected l = (NodeEvent.LeaderElected) EventCodec.decode(EventCodec.encode(events.get(3)));
        assertEquals(4, l.termAt(119));
        assertEquals(6, l.termAt(120));
        assertEquals(-1, l.termAt(131));
        assertEquals(-1, l.termAt(100));
        NodeEvent.MembershipInForce m =
                (NodeEvent.MembershipInForce) EventCodec.decode(EventCodec.encode(events.get(8)));
        assertEquals(List.of(77L, 70L, true), List.of(m.index(), m.commitIndex(), m.asLeader()));
        // Lines of a stream written before these fields (and the started event's "lost") still read.
        m = (NodeEvent.MembershipInForce)
                EventCodec.decode("{\"e\":\"membership\",\"n\":1,\"s\":3,\"t\":5,\"voters\":\"1,2\"}");
        assertEquals(List.of(0L, 0L, false), List.of(m.index(), m.commitIndex(), m.asLeader()));
        NodeEvent.Started st = (NodeEvent.Started)
                EventCodec.decode("{\"e\":\"started\",\"n\":1,\"s\":1,\"t\":5,\"term\":2,\"vote\":1,\"snap\":0}");
        assertEquals(0, st.lostThroughTerm());
    }

    @Test
    void aTornOrForeignLineIsNoEvent() {
        String line = EventCodec.encode(new NodeEvent.VoteGranted(5, 1, 2, 3, 4));
        assertNull(EventCodec.decode(line.substring(0, line.length() - 3)));
        assertNull(EventCodec.decode("{\"e\":\"vote\",\"n\":1}"));
        assertNull(EventCodec.decode("{\"e\":\"future-kind\",\"n\":1,\"s\":1,\"t\":1}"));
        assertNull(EventCodec.decode("not json"));
    }

    @Test
    void logRunsAreFoundByBinarySearch() {
        TreeMap<Long, Long> terms = new TreeMap<>(Map.of(11L, 2L, 15L, 3L, 16L, 7L));
        long[] calls = {0};
        long[][] runs = LogRuns.of(
                i -> {
                    calls[0]++;
                    return terms.floorEntry(i).getValue();
                },
                10,
                100_000);
        assertArrayEquals(new long[] {11, 15, 16}, runs[0]);
        assertArrayEquals(new long[] {2, 3, 7}, runs[1]);
        assertEquals(true, calls[0] < 100, "calls: " + calls[0]);
        assertEquals(0, LogRuns.of(i -> 1, 5, 5)[0].length);
    }
}
