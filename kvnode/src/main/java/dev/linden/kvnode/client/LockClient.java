package dev.linden.kvnode.client;

import dev.linden.kvnode.kv.KvRange;
import dev.linden.kvnode.kv.KvRangeResult;
import dev.linden.kvnode.kv.KvTxn;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Locks as etcd's recipe makes them, from a lease, a transaction and ranges: the waiter puts the key
 * {@code NAME/LEASE} (if absent) attached to its lease, and holds the lock once its key has the lowest create
 * revision under {@code NAME/}, so the lock goes in the order it was asked for. A holder's fencing token is its
 * key's create revision, which grows from holder to holder. Released on unlock (the key deleted) or when the
 * lease ends (its keys go with it). Waiting is by polling (a range every 25 ms); a waiter that gives up
 * deletes its key. As etcd's, a lock is re-entrant per lease: a second lock of the same name under the same lease
 * gets the same key and token.
 *
 * <p>A lock is safe only with the token: a holder paused past its lease's TTL loses the lock without knowing,
 * and the next holder may act meanwhile; a store or service the holder writes to must refuse a token lower than
 * one it has seen (see the README).
 */
public final class LockClient {
    /** How often a waiter looks whether its turn has come. */
    static final long POLL_MILLIS = 25;

    /** A held lock: its key (delete it to release) and fencing token. */
    public record Held(String key, long token) {}

    private final KvClient client;

    LockClient(KvClient client) {
        this.client = client;
    }

    /** Acquires {@code name} under {@code lease}, waiting up to {@code timeoutMillis} for its turn. */
    public CompletableFuture<Held> lock(String name, long lease, long timeoutMillis) {
        if (name.isEmpty() || lease <= 0 || timeoutMillis < 1) {
            throw new IllegalArgumentException("a lock needs a name, a lease and a timeout");
        }
        String key = name + "/" + lease;
        KvTxn enqueue = new KvTxn(
                List.of(KvTxn.Compare.createRevision(key, KvTxn.Cmp.EQUAL, 0)),
                List.of(KvTxn.Op.put(key, "", lease), KvTxn.Op.get(KvRange.key(key))),
                List.of(KvTxn.Op.get(KvRange.key(key))));
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        return client.txn(enqueue).thenCompose(r -> {
            KvRangeResult mine = r.results().get(r.results().size() - 1).range();
            long rev = mine.kvs().get(0).createRevision();
            CompletableFuture<Held> turn = new CompletableFuture<>();
            awaitTurn(name, key, rev, deadline, turn);
            return turn;
        });
    }

    /** Releases a lock (deletes its key); the lease stays. */
    public CompletableFuture<Void> unlock(Held held) {
        return client.delete(held.key()).thenApply(r -> null);
    }

    /** What a look at the waiters found: the lowest create revision, and whether the waiter's own key is there. */
    private static final class Look {
        long lowest = Long.MAX_VALUE;
        boolean present;
    }

    private void awaitTurn(String name, String key, long rev, long deadline, CompletableFuture<Held> turn) {
        look(KvRange.prefix(name + "/").withKeysOnly(), key, new Look()).whenComplete((look, error) -> {
            if (error != null) {
                giveUp(key, turn, error);
            } else if (!look.present) {
                turn.completeExceptionally(new RequestFailedException(
                        "lock " + name + ": the waiting key " + key + " is gone (its lease ended)"));
            } else if (look.lowest == rev) {
                turn.complete(new Held(key, rev));
            } else if (System.nanoTime() >= deadline) {
                giveUp(key, turn, new RequestFailedException("lock " + name + ": not acquired in time"));
            } else {
                CompletableFuture.delayedExecutor(POLL_MILLIS, TimeUnit.MILLISECONDS)
                        .execute(() -> awaitTurn(name, key, rev, deadline, turn));
            }
        });
    }

    /** Every page of the waiters (keys sort as text, not in the order they came: all of them count). */
    private CompletableFuture<Look> look(KvRange r, String key, Look look) {
        return client.range(r).thenCompose(page -> {
            for (KvRangeResult.KeyValue kv : page.kvs()) {
                look.lowest = Math.min(look.lowest, kv.createRevision());
                look.present |= kv.key().equals(key);
            }
            if (!page.more() || page.kvs().isEmpty()) {
                return CompletableFuture.completedFuture(look);
            }
            return look(r.after(page.kvs().get(page.kvs().size() - 1).key()), key, look);
        });
    }

    /** A waiter that gives up takes its key away, or it would block every later waiter until its lease ends. */
    private void giveUp(String key, CompletableFuture<Held> turn, Throwable why) {
        client.delete(key).whenComplete((r, e) -> turn.completeExceptionally(why));
    }
}
