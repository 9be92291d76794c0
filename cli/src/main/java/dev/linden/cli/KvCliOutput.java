package dev.linden.cli;

import dev.linden.kvnode.client.KvClient;
import dev.linden.kvnode.client.LeaseClient;
import dev.linden.kvnode.client.LockClient;
import dev.linden.kvnode.client.RequestFailedException;
import dev.linden.kvnode.client.WatchClient;
import dev.linden.kvnode.kv.KvEvent;
import dev.linden.kvnode.kv.KvRange;
import dev.linden.kvnode.kv.KvRangeResult;
import dev.linden.kvnode.kv.KvTxn;
import dev.linden.kvnode.kv.KvTxnResult;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** {@code ./linden kv range} and {@code txn}: asked, then printed as etcdctl prints them (key line, value line). */
final class KvCliOutput {
    private KvCliOutput() {}

    /** A range if given, else a transaction read from standard input; the exit code. */
    static int rangeOrTxn(KvClient client, KvRange range) throws IOException {
        if (range != null) {
            print(client.await(client.range(range)), range.countOnly());
            return 0;
        }
        KvTxn txn;
        try {
            List<String> lines = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))
                    .lines()
                    .toList();
            txn = TxnScript.parse(lines);
        } catch (IllegalArgumentException e) {
            System.err.println("linden kv: txn: " + e.getMessage());
            return 3;
        }
        KvTxnResult r = client.await(client.txn(txn));
        System.out.println(r.succeeded() ? "SUCCESS" : "FAILURE");
        for (KvTxnResult.OpResult op : r.results()) {
            System.out.println();
            switch (op.kind()) {
                case GET -> print(op.range(), false);
                case DELETE -> System.out.println(op.deleted());
                default -> System.out.println("OK");
            }
        }
        System.err.println("revision " + r.revision());
        return r.succeeded() ? 0 : 1;
    }

    /**
     * {@code lease grant TTL_SECONDS | keep-alive ID | revoke ID}, printed as etcdctl does. keep-alive sends one
     * every third of the TTL until the lease is gone (exit 1) or the process is stopped; {@code once}: one.
     */
    static int lease(KvClient client, String verb, String arg, boolean once) throws InterruptedException {
        long n;
        try {
            n = Long.parseLong(arg);
        } catch (NumberFormatException e) {
            System.err.println("linden kv: lease " + verb + " takes a number, not " + arg);
            return 3;
        }
        LeaseClient leases = client.leases();
        switch (verb) {
            case "grant" -> {
                long id = client.await(leases.grant(n * 1000));
                System.out.println("lease " + id + " granted with TTL(" + n + "s)");
                return 0;
            }
            case "revoke" -> {
                long keys = client.await(leases.revoke(n));
                System.out.println("lease " + n + " revoked (" + keys + " keys deleted)");
                return 0;
            }
            case "keep-alive" -> {
                while (true) {
                    long ttl;
                    try {
                        ttl = client.await(leases.keepAlive(n));
                    } catch (RequestFailedException e) {
                        System.out.println("lease " + n + " expired or revoked: " + e.getMessage());
                        return 1;
                    }
                    System.out.println("lease " + n + " keepalived with TTL(" + ttl / 1000 + "s)");
                    if (once) {
                        return 0;
                    }
                    Thread.sleep(Math.max(100, ttl / 3));
                }
            }
            default -> {
                System.err.println("linden kv: lease grant TTL_SECONDS | keep-alive ID [--once] | revoke ID");
                return 3;
            }
        }
    }

    /**
     * {@code lock NAME}: as etcdctl's, a lease of {@code ttlSeconds} granted, the lock acquired under it (waiting
     * for its turn), its key and fencing token printed, then held (the lease kept alive) until the process is
     * stopped, when the lock is released and the lease revoked; exit 1 if the lease is lost meanwhile.
     */
    static int lock(KvClient client, String name, long ttlSeconds) throws InterruptedException {
        long lease = client.await(client.leases().grant(ttlSeconds * 1000));
        LockClient.Held held = client.await(client.locks().lock(name, lease, TimeUnit.DAYS.toMillis(365)));
        System.out.println(held.key());
        System.out.println("fencing token " + held.token());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                client.leases().revoke(lease).get(2, TimeUnit.SECONDS);
            } catch (Exception e) {
                System.err.println("linden kv: lock " + name + " not released (its lease ends by itself): " + e);
            }
        }));
        while (true) {
            Thread.sleep(Math.max(100, ttlSeconds * 1000 / 3));
            try {
                client.await(client.leases().keepAlive(lease));
            } catch (RequestFailedException e) {
                System.out.println("lock " + name + " lost: its lease ended (" + e.getMessage() + ")");
                return 1;
            }
        }
    }

    /**
     * {@code watch}: each change printed as etcdctl's (PUT or DELETE, the key, the value; with {@code prevKv} the
     * value before it on a line of its own) until the process is stopped; exit 1 if the watch ends (compacted).
     */
    static int watch(KvClient client, KvRange range, long fromRevision, boolean prevKv) throws InterruptedException {
        CompletableFuture<String> ended = new CompletableFuture<>();
        new WatchClient(client).watch(range, fromRevision, prevKv, new WatchClient.Listener() {
            @Override
            public void onEvents(List<KvEvent> events, long storeRevision) {
                StringBuilder b = new StringBuilder();
                for (KvEvent e : events) {
                    b.append(e.type()).append('\n').append(e.key()).append('\n');
                    if (e.value() != null) {
                        b.append(e.valueString()).append('\n');
                    }
                    if (prevKv) {
                        b.append("prev: ")
                                .append(e.prevValue() == null ? "(absent)" : e.prevValueString())
                                .append('\n');
                    }
                }
                System.out.print(b);
                System.out.flush();
            }

            @Override
            public void onEnded(String reason, long compactRevision) {
                ended.complete(reason);
            }
        });
        try {
            System.out.println("watch ended: " + ended.get());
        } catch (ExecutionException e) {
            System.out.println("watch ended: " + e.getCause());
        }
        return 1;
    }

    private static void print(KvRangeResult page, boolean countOnly) {
        if (countOnly) {
            System.out.println(page.count());
        }
        for (KvRangeResult.KeyValue kv : page.kvs()) {
            System.out.println(kv.key());
            if (kv.value() != null) {
                System.out.println(kv.valueString());
            }
        }
        String more = page.more() && !page.kvs().isEmpty()
                ? ", more after " + page.kvs().get(page.kvs().size() - 1).key()
                : page.more() ? ", more" : "";
        System.err.println("revision " + page.revision() + ", " + page.count() + " keys in range" + more);
    }
}
