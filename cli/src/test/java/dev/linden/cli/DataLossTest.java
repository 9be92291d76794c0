package dev.linden.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.kvnode.client.KvClient;
import dev.linden.realenv.LocalCluster;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The data-safety findings, tried as an operator would on real node processes: A leads, B and C follow;
 * 150 writes are acknowledged, C stopped before the last 50. Then B is stopped, A killed, B's disk
 * damaged, and B and C restarted as the cluster exists. B must not help elect anyone with what it has
 * left: nothing is elected until A is back, and then every acknowledged write reads back. A wiped B
 * restarted with the bootstrap command is refused by its peers and exits 2.
 */
class DataLossTest {
    private static final List<String> JVM = List.of("-Xmx256m");
    private static final int WRITES = 150;
    private static final int AFTER_C_STOPPED = 50;

    @TempDir
    Path dir;

    private LocalCluster c;
    private KvClient k;
    private int a;
    private int b;
    private int cc;

    @AfterEach
    void cleanUp() {
        if (k != null) {
            k.close();
        }
        for (int i = 1; c != null && i <= c.nodes; i++) {
            c.killNode(i);
        }
    }

    private String logs() {
        return c.logTails(25);
    }

    private String log(int id) throws Exception {
        return Files.readString(c.nodeDir(id).resolve("node.log"));
    }

    /** The scenario up to B's damage: 150 acknowledged, C missing the last 50, B stopped, A killed. */
    private void acknowledgeThenStop() throws Exception {
        c = new LocalCluster(dir.resolve("c"), 3, ProcessClusterFixture.basePort());
        c.writeLayout();
        for (int i = 1; i <= 3; i++) {
            c.startNode(i, true, JVM);
        }
        c.markExisting();
        k = c.client(new KvClient.Options(500, 20_000, 256));
        a = c.awaitLeader(k, 30_000).orElseThrow(() -> new AssertionError("no leader" + logs()));
        b = a % 3 + 1;
        cc = 6 - a - b;
        for (int i = 0; i < WRITES; i++) {
            if (i == WRITES - AFTER_C_STOPPED) {
                c.stopNode(cc, 10_000);
            }
            assertEquals("OK", k.await(k.put("k" + i, "v" + i)).status().name(), logs());
        }
        c.stopNode(b, 10_000);
        c.killNode(a);
    }

    /** B and C come back; B abstains, so no leader for several election timeouts; then A returns. */
    private void restartAndCheckNothingIsLost() throws Exception {
        c.startNode(b, true, JVM);
        c.startNode(cc, true, JVM);
        Optional<Integer> early = c.awaitLeader(k, 8_000);
        assertTrue(early.isEmpty(), "B and C elected node " + early.orElse(0) + " from B's damaged log" + logs());
        // B says what it lost once its recovery ran (a loaded machine may take longer to start a JVM than 8 s).
        long found = System.currentTimeMillis() + 30_000;
        while (!log(b).contains("event=wal-data-loss") && System.currentTimeMillis() < found) {
            Thread.sleep(200);
        }
        assertTrue(log(b).contains("event=wal-data-loss"), log(b));
        c.startNode(a, true, JVM);
        assertTrue(c.awaitLeader(k, 30_000).isPresent(), "no leader once A is back" + logs());
        for (int i = 0; i < WRITES; i++) {
            assertEquals("v" + i, k.await(k.get("k" + i)).value(), "acknowledged write k" + i + " lost" + logs());
        }
        long deadline = System.currentTimeMillis() + 30_000;
        while (!log(b).contains("log repaired") && System.currentTimeMillis() < deadline) {
            Thread.sleep(200);
        }
        assertTrue(log(b).contains("log repaired"), "B votes again once a later leader repaired it" + logs());
    }

    private Path newestSegment(int id) throws Exception {
        try (Stream<Path> s = Files.list(c.nodeDir(id).resolve("wal"))) {
            return s.filter(p -> p.toString().endsWith(".seg"))
                    .sorted()
                    .reduce((x, y) -> y)
                    .orElseThrow();
        }
    }

    /**
     * Start offsets of the records in a segment, then the end of its data (a 24-byte header in format 2, 8 in
     * format 1; a record: its payload length, 21 more bytes of header, the payload).
     */
    private static List<Long> recordOffsets(Path seg) throws Exception {
        byte[] bytes = Files.readAllBytes(seg);
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        List<Long> out = new ArrayList<>();
        int at = buf.getInt(4) == 1 ? 8 : 24;
        while (at + 25 <= bytes.length) {
            int len = buf.getInt(at);
            if (len < 0 || at + 25 + len > bytes.length || buf.getLong(at + 16) <= 0) {
                break;
            }
            out.add((long) at);
            at += 25 + len;
        }
        out.add((long) at); // the end of the data
        return out;
    }

    private static void cut(Path seg, long length) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(seg.toFile(), "rw")) {
            f.setLength(length);
        }
    }

    @Test
    void finding1aSegmentsDeletedHardStateKept() throws Exception {
        acknowledgeThenStop();
        try (Stream<Path> s = Files.list(c.nodeDir(b).resolve("wal"))) {
            for (Path p : s.toList()) {
                if (p.toString().endsWith(".seg") || p.toString().endsWith(".pre")) {
                    Files.delete(p);
                }
            }
        }
        restartAndCheckNothingIsLost();
        assertTrue(log(b).contains("reason=segments-missing"), log(b));
    }

    @Test
    void finding1bTailCutAtARecordBoundary() throws Exception {
        acknowledgeThenStop();
        Path seg = newestSegment(b);
        List<Long> offsets = recordOffsets(seg);
        assertTrue(offsets.size() > AFTER_C_STOPPED + 1, "records in the newest segment: " + offsets.size());
        cut(seg, offsets.get(offsets.size() - 1 - AFTER_C_STOPPED));
        restartAndCheckNothingIsLost();
        assertTrue(log(b).contains("cut=at-a-record-boundary"), log(b));
    }

    @Test
    void finding2CutInsideARecordIsNotATornWrite() throws Exception {
        acknowledgeThenStop();
        Path seg = newestSegment(b);
        List<Long> offsets = recordOffsets(seg);
        long dataEnd = offsets.get(offsets.size() - 1);
        long at = dataEnd * 3 / 4;
        if (offsets.contains(at)) {
            at++;
        }
        cut(seg, at);
        restartAndCheckNothingIsLost();
        assertTrue(log(b).contains("cut=inside-a-record"), log(b));
        assertFalse(log(b).contains("reason=torn-tail"), log(b));
    }

    @Test
    void finding3WipedAndRestartedWithTheBootstrapCommandIsRefusedByItsPeers() throws Exception {
        acknowledgeThenStop();
        c.startNode(a, true, JVM);
        c.startNode(cc, true, JVM);
        assertTrue(c.awaitLeader(k, 30_000).isPresent(), "no leader" + logs());
        try (Stream<Path> s = Files.walk(c.nodeDir(b).resolve("wal"))) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        Process pb = c.startNode(b, true, JVM, "new"); // the command that bootstrapped it
        assertTrue(pb.waitFor(30, TimeUnit.SECONDS), "the wiped node must be refused and exit" + logs());
        assertEquals(2, pb.exitValue());
        assertTrue(log(b).contains("event=refused-by-peer") && log(b).contains("cluster remove --node " + b), log(b));
        assertTrue(log(a).contains("event=peer-refused") || log(cc).contains("event=peer-refused"), logs());
        for (int i = 0; i < WRITES; i++) {
            assertEquals("v" + i, k.await(k.get("k" + i)).value(), "acknowledged write k" + i + " lost" + logs());
        }
    }
}
