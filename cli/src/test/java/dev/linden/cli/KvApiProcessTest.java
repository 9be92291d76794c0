package dev.linden.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.kvnode.client.KvClient;
import dev.linden.kvnode.client.LockClient;
import dev.linden.kvnode.client.WatchClient;
import dev.linden.kvnode.kv.KvEvent;
import dev.linden.kvnode.kv.KvRange;
import dev.linden.kvnode.kv.KvRangeResult;
import dev.linden.kvnode.kv.KvTxn;
import dev.linden.kvnode.kv.KvTxnResult;
import dev.linden.realenv.LocalCluster;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Ranges and transactions on real node processes (issue 26): {@code ./linden kv range} and {@code kv txn} as a
 * user types them, and transactions retried across leader changes applied once.
 */
class KvApiProcessTest {
    @TempDir
    Path dir;

    private LocalCluster cluster;
    private final List<KvClient> clients = new ArrayList<>();

    @AfterEach
    void stopAll() {
        clients.forEach(KvClient::close);
        if (cluster != null) {
            for (int i = 1; i <= cluster.nodes; i++) {
                cluster.killNode(i);
            }
        }
    }

    private KvClient start(KvClient.Options options, String... nodeArgs) throws Exception {
        LocalCluster c = new LocalCluster(dir, 3, ProcessClusterFixture.basePort());
        cluster = c;
        c.nodeArgs.addAll(List.of(nodeArgs));
        c.writeLayout();
        for (int i = 1; i <= 3; i++) {
            c.startNode(i, false, List.of("-Xmx192m"));
        }
        KvClient k = c.client(options);
        clients.add(k);
        assertTrue(c.awaitLeader(k, 20_000).isPresent(), "no leader");
        return k;
    }

    private record Run(int exit, String out) {}

    private Run kv(String stdin, String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        InputStream in = System.in;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int exit;
        try (PrintStream p = new PrintStream(captured, true, StandardCharsets.UTF_8)) {
            System.setOut(p);
            System.setErr(p);
            System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
            List<String> argv = new ArrayList<>(List.of("--dir", dir.toString()));
            argv.addAll(List.of(args));
            exit = new CommandLine(new KvCliCommand()).execute(argv.toArray(new String[0]));
        } finally {
            System.setOut(out);
            System.setErr(err);
            System.setIn(in);
        }
        return new Run(exit, captured.toString(StandardCharsets.UTF_8));
    }

    @Test
    void rangeAndTxnFromTheCommandLine() throws Exception {
        start(new KvClient.Options(1_000, 10_000, 16));
        for (String[] kv : new String[][] {{"a/1", "one"}, {"a/2", "two"}, {"b", "x"}}) {
            assertEquals(0, kv("", "put", kv[0], kv[1]).exit());
        }
        Run range = kv("", "range", "a/", "--prefix");
        assertEquals(0, range.exit(), range.out());
        assertTrue(range.out().startsWith("a/1\none\na/2\ntwo\n"), range.out());
        assertTrue(range.out().contains("revision 3, 2 keys in range"), range.out());
        Run count = kv("", "range", "", "--prefix", "--count-only");
        assertTrue(count.out().startsWith("3\n"), count.out());
        String txn = "value(\"b\") = \"x\"\nmod(\"a/1\") > 0\n\nput b y\nappend a/1 +\nget --prefix a/\n\nget b\n";
        Run success = kv(txn, "txn");
        assertEquals(0, success.exit(), success.out());
        assertTrue(success.out().startsWith("SUCCESS\n\nOK\n\nOK\n\na/1\none+\na/2\ntwo\n"), success.out());
        Run failure = kv(txn, "txn");
        assertEquals(1, failure.exit(), "the failure branch ran: " + failure.out());
        assertTrue(failure.out().startsWith("FAILURE\n\nb\ny\n"), failure.out());
        Run bad = kv("bogus(\"b\") = 1\n", "txn");
        assertEquals(3, bad.exit(), bad.out());
        assertTrue(bad.out().contains("not a compare"), bad.out());
    }

    @Test
    void leasesFromTheCommandLineAndAnExpiryByTheLeadersClock() throws Exception {
        KvClient k = start(new KvClient.Options(1_000, 10_000, 16));
        Run granted = kv("", "lease", "grant", "60");
        assertEquals(0, granted.exit(), granted.out());
        String id = granted.out().split(" ")[1];
        assertEquals(0, kv("", "put", "--lease", id, "leased", "v").exit());
        assertEquals(0, kv("", "put", "plain", "v").exit());
        Run alive = kv("", "lease", "keep-alive", id, "--once");
        assertTrue(alive.out().startsWith("lease " + id + " keepalived with TTL(60s)"), alive.out());
        Run revoked = kv("", "lease", "revoke", id);
        assertTrue(revoked.out().startsWith("lease " + id + " revoked (1 keys deleted)"), revoked.out());
        assertTrue(k.await(k.range(KvRange.key("leased"))).kvs().isEmpty());
        assertEquals(1, kv("", "lease", "keep-alive", id, "--once").exit(), "the lease is gone");
        // A lease nobody keeps alive: its key goes within its TTL, an election timeout and a heartbeat or so.
        long shortLease = k.await(k.leases().grant(1_000));
        k.await(k.leases().put("brief", "v", shortLease));
        long t0 = System.nanoTime();
        while (!k.await(k.range(KvRange.key("brief"))).kvs().isEmpty()) {
            assertTrue(System.nanoTime() - t0 < 10_000_000_000L, "the key outlived its 1 s lease by 9 s");
            Thread.sleep(50);
        }
        assertTrue(System.nanoTime() - t0 >= 1_000_000_000L, "the key vanished before its lease's TTL");
        assertEquals("v", k.await(k.get("plain")).value());
    }

    @Test
    void locksGoInTheOrderAskedWithGrowingTokensAndPassOnWhenALeaseEnds() throws Exception {
        KvClient k = start(new KvClient.Options(1_000, 10_000, 16));
        long a = k.await(k.leases().grant(60_000));
        long b = k.await(k.leases().grant(60_000));
        long c = k.await(k.leases().grant(1_000)); // never kept alive
        LockClient.Held first = k.await(k.locks().lock("job", a, 5_000));
        CompletableFuture<LockClient.Held> second = k.locks().lock("job", b, 20_000);
        Thread.sleep(300);
        assertTrue(!second.isDone(), "two holders at once");
        k.await(k.locks().unlock(first));
        LockClient.Held got = second.get(10, TimeUnit.SECONDS);
        assertTrue(got.token() > first.token(), first + " then " + got);
        // A holder whose lease ends loses the lock to the next, which gets a higher token.
        LockClient.Held other = k.await(k.locks().lock("other", c, 5_000));
        LockClient.Held next = k.locks().lock("other", a, 20_000).get(15, TimeUnit.SECONDS);
        assertTrue(next.token() > other.token(), other + " then " + next);
        assertTrue(k.await(k.range(KvRange.key(other.key()))).kvs().isEmpty(), "the expired holder's key is gone");
    }

    @Test
    void aWatchSeesEveryWriteOnceInOrderAcrossALeadershipTransfer() throws Exception {
        KvClient k = start(new KvClient.Options(1_000, 10_000, 16));
        List<KvEvent> seen = new CopyOnWriteArrayList<>();
        long[] told = {0};
        WatchClient.Watch w = new WatchClient(k).watch(KvRange.prefix("w/"), 0, false, new WatchClient.Listener() {
            @Override
            public void onEvents(List<KvEvent> events, long storeRevision) {
                seen.addAll(events);
                told[0] = storeRevision;
            }

            @Override
            public void onProgress(long storeRevision) {
                told[0] = storeRevision;
            }

            @Override
            public void onEnded(String reason, long compactRevision) {}
        });
        Thread.sleep(300); // the watch has its starting point
        int leader = cluster.awaitLeader(k, 20_000).orElseThrow();
        for (int i = 0; i < 100; i++) {
            k.await(k.put("w/" + (i % 10), "v" + i));
            if (i % 9 == 0) {
                k.await(k.delete("w/" + (i % 4)));
            }
            if (i == 50) {
                k.transferLeadership(leader, leader % 3 + 1, 10_000).get(15, TimeUnit.SECONDS);
            }
        }
        KvRangeResult now = k.await(k.range(KvRange.prefix("w/")));
        long t0 = System.nanoTime();
        while (told[0] < now.revision()) {
            assertTrue(System.nanoTime() - t0 < 10_000_000_000L, "the watch fell behind: " + told[0]);
            Thread.sleep(20);
        }
        w.cancel();
        assertEquals(
                100, seen.stream().filter(e -> e.type() == KvEvent.Type.PUT).count(), seen.toString());
        Map<String, String> replayed = new TreeMap<>();
        for (int i = 0; i < seen.size(); i++) {
            KvEvent e = seen.get(i);
            assertTrue(i == 0 || e.revision() > seen.get(i - 1).revision(), "out of order or twice: " + seen);
            if (e.type() == KvEvent.Type.PUT) {
                replayed.put(e.key(), e.valueString());
            } else {
                replayed.remove(e.key());
            }
        }
        Map<String, String> read = new TreeMap<>();
        now.kvs().forEach(kv -> read.put(kv.key(), kv.valueString()));
        assertEquals(read, replayed, "the events replayed give the state a range reads");
    }

    @Test
    void transactionsRetriedAcrossLeaderChangesApplyOnce() throws Exception {
        List<String> items = appendsAcrossLeaderChanges();
        assertEquals(items.size(), new HashSet<>(items).size(), "an append ran twice: " + items);
    }

    /** The same run on nodes that run every retry again (the no-dedup canary): the duplicates are there to see. */
    @Test
    void withoutSessionsTheSameRunAppendsTwice() throws Exception {
        List<String> items = appendsAcrossLeaderChanges("--test-only-bugs", "no-dedup");
        assertTrue(items.size() > new HashSet<>(items).size(), "no retry ran twice, so the test shows nothing");
    }

    /**
     * 150 transactions, each appending its number and reading the list back, with attempts timing out after 2 ms
     * (so most are sent again, to the same leader or the next) and leadership moved twice; returns the list.
     */
    private List<String> appendsAcrossLeaderChanges(String... nodeArgs) throws Exception {
        KvClient k = start(new KvClient.Options(2, 30_000, 16), nodeArgs);
        int leader = cluster.awaitLeader(k, 20_000).orElseThrow();
        Map<Integer, CompletableFuture<KvTxnResult>> sent = new HashMap<>();
        for (int i = 0; i < 150; i++) {
            sent.put(i, k.txn(KvTxn.of(KvTxn.Op.append("list", i + ","), KvTxn.Op.get(KvRange.key("list")))));
            if (i == 50 || i == 100) {
                int target = leader % 3 + 1;
                k.transferLeadership(leader, target, 10_000).get(15, TimeUnit.SECONDS);
                leader = cluster.awaitLeader(k, 20_000).orElseThrow();
            }
        }
        Set<Integer> acknowledged = new HashSet<>();
        for (Map.Entry<Integer, CompletableFuture<KvTxnResult>> e : sent.entrySet()) {
            try {
                e.getValue().get(40, TimeUnit.SECONDS);
                acknowledged.add(e.getKey());
            } catch (Exception indeterminateOrFailed) {
                // an outcome not known: it may or may not be in the list
            }
        }
        KvRangeResult read = k.await(k.range(KvRange.key("list")));
        List<String> items = List.of(read.valueOf("list").split(","));
        for (int i : acknowledged) {
            assertTrue(items.contains(String.valueOf(i)), "acknowledged append " + i + " is missing: " + items);
        }
        assertTrue(acknowledged.size() > 100, "only " + acknowledged.size() + " of 150 acknowledged");
        return items;
    }
}
