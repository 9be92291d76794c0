package dev.linden.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.kvnode.kv.KvCommand;
import dev.linden.kvnode.raft.Entry;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The end-of-run check of acknowledged writes: a lost write and an applied entry that is no command. */
class LostWritesCheckTest {
    private static Entry command(long index, KvCommand c) {
        return new Entry(1, index, Entry.Kind.COMMAND, c.encode());
    }

    @Test
    void everyAcknowledgedWriteAppliedIsClean() {
        Map<Long, Entry> log = Map.of(1L, command(1, KvCommand.put("k", "v").withSession(7, 1, 0)));
        assertEquals(List.of(), SimRunChecks.lostAcknowledgedWrites(log, List.<long[]>of(new long[] {7, 1})));
    }

    @Test
    void aLostWriteIsAViolation() {
        Map<Long, Entry> log = Map.of(1L, command(1, KvCommand.put("k", "v").withSession(7, 1, 0)));
        List<String> v = SimRunChecks.lostAcknowledgedWrites(log, List.of(new long[] {7, 1}, new long[] {7, 2}));
        assertEquals(1, v.size());
        assertTrue(v.get(0).contains("session 7 seq 2"), v.get(0));
    }

    @Test
    void anAppliedEntryThatDoesNotDecodeIsReportedNotThrown() {
        Map<Long, Entry> log = Map.of(
                1L,
                command(1, KvCommand.put("k", "v").withSession(7, 1, 0)),
                2L,
                new Entry(1, 2, Entry.Kind.COMMAND, new byte[] {(byte) 0xff, 1, 2}));
        List<String> v = SimRunChecks.lostAcknowledgedWrites(log, List.<long[]>of(new long[] {7, 1}));
        assertEquals(1, v.size(), v.toString());
        assertTrue(v.get(0).startsWith("applied entry does not decode: index 2"), v.get(0));
    }
}
