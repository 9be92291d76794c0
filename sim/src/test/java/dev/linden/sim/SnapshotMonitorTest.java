package dev.linden.sim;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.kvnode.kv.KvCommand;
import dev.linden.kvnode.kv.KvStateMachine;
import dev.linden.kvnode.raft.Entry;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The snapshot monitor compares each snapshot with a reference rebuilt from the committed log. */
class SnapshotMonitorTest {
    private static Map<Long, Entry> log(int n) {
        Map<Long, Entry> log = new HashMap<>();
        log.put(1L, Entry.noop(1, 1));
        for (long i = 2; i <= n; i++) {
            log.put(
                    i,
                    new Entry(
                            1,
                            i,
                            Entry.Kind.COMMAND,
                            KvCommand.put("k" + (i % 3), "v" + i).encode()));
        }
        return log;
    }

    private static long digestThrough(Map<Long, Entry> log, long index) {
        KvStateMachine k = new KvStateMachine();
        for (long i = 1; i <= index; i++) {
            Entry e = log.get(i);
            if (e.kind() == Entry.Kind.COMMAND) {
                k.apply(i, e.command());
            }
        }
        return k.digest();
    }

    @Test
    void snapshotsThatMatchTheLogPassAndOneCutAtTheWrongIndexIsNamed() {
        Map<Long, Entry> log = log(40);
        SnapshotMonitor m = new SnapshotMonitor();
        m.taken(1, 20, digestThrough(log, 20), 100);
        m.loaded(2, 35, digestThrough(log, 35), 200);
        m.taken(3, 10, digestThrough(log, 10), 300);
        assertNull(m.check(log, false));
        m.taken(2, 30, digestThrough(log, 29), 400); // the state of index 29, labelled 30
        String why = m.check(log, false);
        assertTrue(why != null && why.contains("node 2 took a snapshot through index 30 at 400 ms"), why);
    }

    @Test
    void indexesPastAGapInTheRecordAreNotJudged() {
        Map<Long, Entry> log = log(40);
        log.remove(25L);
        SnapshotMonitor m = new SnapshotMonitor();
        m.taken(1, 30, 12345L, 100);
        assertNull(m.check(log, false));
    }
}
