package dev.linden.realenv;

import dev.linden.kvnode.client.ClientCore;
import dev.linden.kvnode.client.KvClient;
import dev.linden.kvnode.kv.KvResult;
import dev.linden.nemesis.FaultOps;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/** The {@code answer-flood} fault ({@link HostileAttacks}). */
final class AnswerFlood {
    private final HostileAttacks h;

    AnswerFlood(HostileAttacks h) {
        this.h = h;
    }

    /**
     * One ordinary client with a session puts a large value, then sends {@code calls} compare-and-sets that
     * expect something else, all at once: every answer carries the value, and every replica's session keeps
     * the answers of requests not yet acknowledged (here, all of them).
     */
    HostileAttacks.Result start(int callsAsked, int valueBytesAsked) {
        int calls = Math.max(1, Math.min(callsAsked, ClientCore.MAX_OPEN_REQUESTS));
        int valueBytes = Math.max(1, Math.min(valueBytesAsked, 1 << 20)); // a request may carry 2 MiB at most
        String key = "hostile-answer-flood";
        KvClient kv = new KvClient(
                h.c.clientEndpoints(),
                new KvClient.Options(2_000, HostileAttacks.START_WAIT_MILLIS_MAX, calls),
                null,
                h.clientSecurity());
        String put;
        try {
            KvResult r = kv.put(key, "v".repeat(valueBytes))
                    .get(HostileAttacks.START_WAIT_MILLIS_MAX, TimeUnit.MILLISECONDS);
            put = r.status().toString();
        } catch (Exception e) {
            kv.close();
            return new HostileAttacks.Result(FaultOps.noEffect("the large value could not be written: " + e), null);
        }
        AtomicLong mismatched = new AtomicLong();
        AtomicLong answerBytes = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        Map<String, Long> failures = new ConcurrentHashMap<>();
        CountDownLatch answered = new CountDownLatch(calls);
        long t0 = System.nanoTime();
        for (int i = 0; i < calls; i++) {
            // Counted and dropped as they come: the harness keeps none of the answers.
            kv.cas(key, "hostile-expects-" + i, "x").whenComplete((r, e) -> {
                if (e != null) {
                    failed.incrementAndGet();
                    failures.merge(e.getClass().getSimpleName(), 1L, Long::sum);
                } else if (r.status() == KvResult.Status.CAS_MISMATCH) {
                    mismatched.incrementAndGet();
                    answerBytes.addAndGet(r.value() == null ? 0 : r.value().length());
                }
                answered.countDown();
            });
        }
        try {
            answered.await(HostileAttacks.START_WAIT_MILLIS_MAX + 2_000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Object evidence = FaultOps.effect(
                "one client with a session sent compare-and-sets that mismatch a large value",
                "value-bytes",
                valueBytes,
                "put",
                put,
                "calls",
                calls,
                "answered-mismatch",
                mismatched.get(),
                "answer-bytes",
                answerBytes.get(),
                "failed",
                failed.get(),
                "failures",
                new TreeMap<>(failures),
                "unanswered",
                answered.getCount(),
                "ms",
                (System.nanoTime() - t0) / 1_000_000);
        return new HostileAttacks.Result(evidence, () -> {
            kv.close();
            return FaultOps.effect(
                    "the flooding client closed", "answered-mismatch", mismatched.get(), "failed", failed.get());
        });
    }
}
