package dev.linden.realenv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.checker.history.OpType;
import dev.linden.kvnode.kv.KvCommand;
import dev.linden.kvnode.net.Wire;
import dev.linden.kvnode.node.Stage;
import dev.linden.kvnode.raft.Entry;
import dev.linden.kvnode.raft.HardState;
import dev.linden.kvnode.raft.Ready;
import dev.linden.kvnode.wal.NioVfs;
import dev.linden.kvnode.wal.WalConfig;
import dev.linden.kvnode.wal.WalLogStore;
import dev.linden.workloads.HistoryOp;
import dev.linden.workloads.Workload;
import dev.linden.workloads.check.Validity;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The disk audit on WALs the product's own {@link WalLogStore} wrote: a clean set passes, and a lost
 * acknowledged write, a diverging committed entry and a hard state behind the announced term are each
 * found with the node, index and file; :info writes resolve to ok and to fail from the logs.
 */
class DiskAuditTest {
    private static final Stage INLINE = new Stage() {
        @Override
        public void execute(Runnable task) {
            task.run();
        }

        @Override
        public Cancellable schedule(long delayMillis, Runnable task) {
            throw new UnsupportedOperationException();
        }
    };

    @TempDir
    Path root;

    private final Workload register = Workload.named("register", 1);
    private final List<HistoryOp> history = new ArrayList<>();

    /** Writes node {@code id}'s WAL: the hard state, then the entries, each write made durable. */
    private Path node(int id, HardState hs, Entry... entries) throws IOException {
        Path dir = root.resolve("n" + id);
        WalLogStore wal = new WalLogStore(new NioVfs(dir.resolve("wal"), Runnable::run), INLINE, WalConfig.defaults());
        wal.load();
        wal.saveHardState(hs);
        long[] durable = {0};
        for (Entry e : entries) {
            wal.append(new Ready.LogWrite(e.index(), List.of(e)), () -> durable[0]++, t -> {
                throw new AssertionError(t);
            });
        }
        assertEquals(entries.length, durable[0]);
        wal.close();
        return dir;
    }

    private static Entry put(long term, long index, long value, long seq) {
        byte[] c =
                KvCommand.put("r", String.valueOf(value)).withSession(7, seq, 0).encode();
        return new Entry(term, index, Entry.Kind.COMMAND, c);
    }

    private static Entry cas(long term, long index, long expected, long value, long seq) {
        byte[] c = KvCommand.cas("r", String.valueOf(expected), String.valueOf(value))
                .withSession(7, seq, 0)
                .encode();
        return new Entry(term, index, Entry.Kind.COMMAND, c);
    }

    private static Entry command(long index, KvCommand c) {
        return new Entry(1, index, Entry.Kind.COMMAND, c.encode());
    }

    /** One client operation: its invocation and its completion. */
    private int op(String f, Object value, OpType completion) {
        int p = history.size();
        history.add(new HistoryOp(history.size(), p, OpType.INVOKE, p, f, null, value, null, false));
        history.add(new HistoryOp(history.size(), p + 1, completion, p, f, null, value, null, false));
        return history.size() - 1;
    }

    private DiskAudit audit(Map<Integer, Path> dirs, Map<Integer, Wire.StatusResponse> status) {
        return new DiskAudit(dirs, Map.of(), Set.of(1, 2, 3), status, 0, history, register);
    }

    private Map<Integer, Path> threeAlike(Entry... entries) throws IOException {
        Map<Integer, Path> dirs = new TreeMap<>();
        for (int id = 1; id <= 3; id++) {
            dirs.put(id, node(id, new HardState(1, 1), entries));
        }
        return dirs;
    }

    @Test
    void aCleanSetPasses() throws IOException {
        op("write", 1L, OpType.OK);
        op("write", 2L, OpType.OK);
        Map<Integer, Path> dirs = threeAlike(Entry.noop(1, 1), put(1, 2, 1, 1), put(1, 3, 2, 2));
        DiskAudit a = audit(dirs, Map.of(1, new Wire.StatusResponse(0, 1, "LEADER", 1, 1, 3, 3)));
        assertEquals(List.of(), a.findings());
        assertEquals(3L, a.outcome().details().get("commit-index"));
        assertEquals(2, a.outcome().details().get("acknowledged-writes-checked"));
        assertEquals(Validity.TRUE, a.outcome().valid());
    }

    @Test
    void anAcknowledgedWriteOnlyInAnUncommittedTailIsFound() throws IOException {
        op("write", 1L, OpType.OK);
        op("write", 2L, OpType.OK);
        Map<Integer, Path> dirs = new TreeMap<>();
        dirs.put(1, node(1, new HardState(1, 1), Entry.noop(1, 1), put(1, 2, 1, 1), put(1, 3, 2, 2)));
        dirs.put(2, node(2, new HardState(1, 1), Entry.noop(1, 1), put(1, 2, 1, 1)));
        dirs.put(3, node(3, new HardState(1, 1), Entry.noop(1, 1), put(1, 2, 1, 1)));
        DiskAudit a = audit(dirs, Map.of());
        assertEquals(1, a.findings().size(), a.findings().toString());
        assertTrue(
                a.findings().get(0).contains("acknowledged write 2 (history op 3)"),
                a.findings().toString());
        assertTrue(
                a.findings().get(0).contains("only in an uncommitted tail"),
                a.findings().toString());
        assertEquals(Validity.FALSE, a.outcome().valid());
    }

    @Test
    void aDivergingCommittedEntryIsFoundWithItsNodeIndexAndFile() throws IOException {
        Map<Integer, Path> dirs = new TreeMap<>();
        dirs.put(1, node(1, new HardState(1, 1), Entry.noop(1, 1), put(1, 2, 1, 1), put(1, 3, 2, 2)));
        dirs.put(2, node(2, new HardState(1, 1), Entry.noop(1, 1), put(1, 2, 1, 1), put(1, 3, 2, 2)));
        dirs.put(3, node(3, new HardState(1, 1), Entry.noop(1, 1), put(1, 2, 9, 1), put(1, 3, 2, 2)));
        DiskAudit a = audit(dirs, Map.of());
        assertEquals(1, a.findings().size(), a.findings().toString());
        assertTrue(
                a.findings().get(0).startsWith("node 3 index 2 (wal-0000000001.seg)"),
                a.findings().toString());
    }

    @Test
    void aStaleTailOfANodeThatNeverAppliedItIsNotJudgedButOneItAppliedIs() throws IOException {
        Map<Integer, Path> dirs = new TreeMap<>();
        Entry[] committed = {Entry.noop(1, 1), put(1, 2, 1, 1), Entry.noop(2, 3), put(2, 4, 2, 2)};
        dirs.put(1, node(1, new HardState(2, 1), committed));
        dirs.put(2, node(2, new HardState(2, 1), committed));
        dirs.put(3, node(3, new HardState(1, 3), Entry.noop(1, 1), put(1, 2, 1, 1), put(1, 3, 9, 2)));
        assertEquals(List.of(), audit(dirs, Map.of()).findings(), "an old leader's uncommitted entry, never applied");
        DiskAudit a = audit(dirs, Map.of(3, new Wire.StatusResponse(0, 3, "FOLLOWER", 1, 0, 4, 4)));
        assertEquals(2, a.findings().size(), a.findings().toString());
        assertTrue(a.findings().get(0).startsWith("node 3 index 3 (wal-0000000001.seg): holds term 1"));
        assertTrue(a.findings().get(1).startsWith("node 3 index 4: committed, and applied by this node"));
    }

    /** A node the nemesis never damaged that recorded lost log: recovery took something else for a loss. */
    @Test
    void lostLogRecordedOnAnUndamagedDiskIsFound() throws IOException {
        Map<Integer, Path> dirs = threeAlike(Entry.noop(1, 1), put(1, 2, 1, 1));
        dirs.put(2, node(2, new HardState(2, 0, 1), Entry.noop(1, 1), put(1, 2, 1, 1)));
        DiskAudit a = audit(dirs, Map.of());
        assertEquals(
                List.of("node 2 (wal/hardstate): recorded lost log (lost-through-term 1) although the nemesis never "
                        + "damaged its disk: a false data-loss finding"),
                a.findings());
        DiskAudit skipped = new DiskAudit(
                dirs, Map.of(2, "damaged by the nemesis"), Set.of(1, 2, 3), Map.of(), 0, history, register);
        assertEquals(List.of(), skipped.findings());
        // Repaired since (the hard state no longer says it), the node's log still does.
        DiskAudit repaired = audit(threeAlike(Entry.noop(1, 1)), Map.of());
        repaired.nodeLog(3, List.of("INFO events: event=wal-data-loss reason=segment-cut; lost-through-term=1"));
        skipped.nodeLog(2, List.of("INFO events: event=wal-data-loss reason=segment-cut"));
        assertEquals(
                List.of("node 3 (node.log): recovery recorded lost log although the nemesis never damaged its disk, "
                        + "a false data-loss finding: event=wal-data-loss reason=segment-cut; lost-through-term=1"),
                repaired.findings());
        assertEquals(List.of(), skipped.findings());
    }

    @Test
    void aHardStateBehindTheAnnouncedTermIsFound() throws IOException {
        Map<Integer, Path> dirs = threeAlike(Entry.noop(1, 1), put(1, 2, 1, 1));
        DiskAudit a = audit(dirs, Map.of(2, new Wire.StatusResponse(0, 2, "FOLLOWER", 3, 1, 2, 2)));
        assertEquals(1, a.findings().size(), a.findings().toString());
        assertTrue(a.findings().get(0).startsWith("node 2 (wal/hardstate): term 1 is behind the term 3"));
        Map<Integer, Path> behindLog = new TreeMap<>(dirs);
        behindLog.put(4, node(4, new HardState(1, 1), Entry.noop(1, 1), Entry.noop(2, 2)));
        DiskAudit b = audit(behindLog, Map.of());
        assertTrue(
                b.findings().stream()
                        .anyMatch(f -> f.startsWith("node 4 index 2 (wal-0000000001.seg): log holds "
                                + "term 2 beyond the hard state's term 1")),
                b.findings().toString());
    }

    @Test
    void infoWritesResolveToOkAndToFailFromTheLogs() throws IOException {
        int committed = op("write", 1L, OpType.INFO);
        int nowhere = op("write", 2L, OpType.INFO);
        int mismatched = op("cas", List.of(5L, 3L), OpType.INFO);
        int matched = op("cas", List.of(1L, 4L), OpType.INFO);
        int sessionGone = op("write", 6L, OpType.INFO);
        int read = op("read", null, OpType.INFO);
        Map<Integer, Path> dirs = threeAlike(
                Entry.noop(1, 1),
                put(1, 2, 1, 1),
                cas(1, 3, 5, 3, 2),
                cas(1, 4, 1, 4, 3),
                command(5, KvCommand.put("r", "100").withSession(8, 1, 0)),
                command(6, KvCommand.expireSessions(1_000, 10)), // the log's clock starts
                command(7, KvCommand.expireSessions(2_000, 10)), // session 8 idle too long: gone
                command(8, KvCommand.put("r", "6").withSession(8, 2, 1))); // refused unrun
        DiskAudit a = audit(dirs, Map.of());
        assertEquals(List.of(), a.findings());
        Map<Integer, OpType> r = a.resolveInfo(history);
        assertEquals(
                Map.of(
                        committed, OpType.OK,
                        nowhere, OpType.FAIL,
                        mismatched, OpType.FAIL,
                        matched, OpType.OK,
                        sessionGone, OpType.FAIL),
                r);
        assertTrue(!r.containsKey(read));
    }

    @Test
    void absenceIsNotFailureWhenANodeWasNotRead() throws IOException {
        int nowhere = op("write", 2L, OpType.INFO);
        Map<Integer, Path> dirs = threeAlike(Entry.noop(1, 1), put(1, 2, 1, 1));
        Map<Integer, String> skip = Map.of(3, "wiped by the nemesis");
        DiskAudit a = new DiskAudit(dirs, skip, Set.of(1, 2, 3), Map.of(), 0, history, register);
        assertEquals(Map.of(), a.resolveInfo(history), "a node not read may have held it");
        assertTrue(Files.isDirectory(dirs.get(3)));
        assertEquals(
                OpType.FAIL, audit(dirs, Map.of()).resolveInfo(history).get(nowhere), "all read: it never happened");
    }
}
