package dev.linden.kvnode.client;

import dev.linden.kvnode.kv.KvCommand;
import dev.linden.kvnode.kv.KvResult;
import dev.linden.kvnode.kv.KvTxn;
import java.util.concurrent.CompletableFuture;

/**
 * Leases through a {@link KvClient} (as jetcd's lease client): grant, keep alive, revoke, and puts attached to a
 * lease. Each goes through the log under the client's session, so a retried grant answers the same lease. A
 * lease that is gone (revoked or expired) fails the call with {@link RequestFailedException} saying so. Keep a
 * lease alive at a third of its TTL or more often: the leader expires it by its own clock (see the README).
 */
public final class LeaseClient {
    private final KvClient client;

    LeaseClient(KvClient client) {
        this.client = client;
    }

    /** A lease of {@code ttlMillis}; its id. */
    public CompletableFuture<Long> grant(long ttlMillis) {
        return number(KvCommand.leaseGrant(ttlMillis));
    }

    /** Keeps {@code id} alive for its TTL from now; the TTL. */
    public CompletableFuture<Long> keepAlive(long id) {
        return number(KvCommand.leaseKeepAlive(id));
    }

    /** Revokes {@code id}, deleting its keys; how many. */
    public CompletableFuture<Long> revoke(long id) {
        return number(KvCommand.leaseRevoke(id));
    }

    /** Puts {@code value} to {@code key}, attached to lease {@code id} (deleted with it). */
    public CompletableFuture<Void> put(String key, String value, long id) {
        return client.txn(KvTxn.of(KvTxn.Op.put(key, value, id))).thenApply(r -> null);
    }

    private CompletableFuture<Long> number(KvCommand c) {
        return client.submit(c).thenApply(r -> Long.parseLong(ok(r).value()));
    }

    /** The body of an OK answer (a range's or a transaction's), else the refusal as RequestFailedException. */
    static byte[] okBody(KvResult r) {
        return ok(r).body();
    }

    private static KvResult ok(KvResult r) {
        if (r.status() != KvResult.Status.OK || (r.value() == null && r.body() == null)) {
            throw new RequestFailedException(r.value() != null ? r.value() : "answered " + r.status());
        }
        return r;
    }
}
