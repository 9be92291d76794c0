package dev.linden.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.linden.kvnode.client.KvClient;
import dev.linden.kvnode.kv.KvResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Load for real-cluster tests: distinct keys written from 8 concurrent loops until stopped, keeping the
 * writes the cluster acknowledged, and the check that every one of them reads back.
 */
final class AckedWrites {
    final Map<String, String> acked = new ConcurrentHashMap<>();
    private final KvClient client;
    private final String prefix;
    private volatile boolean stop;
    private final List<Thread> threads = new ArrayList<>();

    AckedWrites(KvClient client, String prefix) {
        this.client = client;
        this.prefix = prefix;
    }

    AckedWrites start() {
        for (int t = 0; t < 8; t++) {
            int id = t;
            Thread th = new Thread(() -> {
                for (int n = 0; !stop && n < 100_000; n++) {
                    String key = prefix + id + "-" + n;
                    try {
                        KvResult r = client.await(client.put(key, "v" + n));
                        if (r.status() == KvResult.Status.OK) {
                            acked.put(key, "v" + n);
                        }
                    } catch (RuntimeException e) {
                        // failed or indeterminate: not acknowledged, nothing to check
                    }
                }
            });
            th.start();
            threads.add(th);
        }
        return this;
    }

    void stopAndJoin() throws InterruptedException {
        stop = true;
        for (Thread t : threads) {
            t.join(30_000);
        }
    }

    /** Every acknowledged write reads back with its value. */
    void assertAllPresent() {
        List<CompletableFuture<KvResult>> reads = new ArrayList<>();
        List<String> keys = new ArrayList<>(acked.keySet());
        for (String k : keys) {
            reads.add(client.get(k));
        }
        for (int i = 0; i < keys.size(); i++) {
            KvResult r = client.await(reads.get(i));
            assertEquals(acked.get(keys.get(i)), r.value(), "acknowledged write of " + keys.get(i) + " lost");
        }
    }
}
