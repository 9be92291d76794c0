package dev.linden.kvadapter;

import dev.linden.kvnode.kv.KvCommand;
import dev.linden.kvnode.kv.KvOp;
import dev.linden.kvnode.kv.KvRange;
import dev.linden.kvnode.kv.KvRangeResult;
import dev.linden.kvnode.kv.KvResult;
import dev.linden.kvnode.kv.KvTxn;
import dev.linden.kvnode.kv.KvTxnResult;
import dev.linden.workloads.KvRequest;
import java.util.List;

/**
 * Which of Linden's APIs a workload's requests go through, so every workload and checker also tests the
 * range and transaction paths. {@code plain}: GET, PUT, APPEND and CAS commands. {@code txn}: a read is a
 * single-key RANGE (by ReadIndex); a put is a one-op transaction; an append a transaction that appends and
 * reads the key back; a CAS (a workload's always expects a value) a transaction comparing the value, putting on
 * success and reading the key on failure. Answers are turned back into the plain ones, so the
 * history and its checks are the same whichever API ran.
 */
public enum KvApi {
    PLAIN,
    TXN;

    public static KvApi parse(String name) {
        return switch (name) {
            case "plain" -> PLAIN;
            case "txn" -> TXN;
            default -> throw new IllegalArgumentException("--kv-api is plain or txn, not '" + name + "'");
        };
    }

    public String cliName() {
        return name().toLowerCase();
    }

    /** The command for {@code r} through this API (a read is a ReadIndex read either way). */
    public KvCommand command(KvRequest r) {
        if (this == PLAIN) {
            return KvCommands.of(r);
        }
        String k = r.key();
        return switch (r.kind()) {
            case GET -> KvCommand.range(KvRange.key(k));
            case PUT -> KvCommand.txn(KvTxn.of(KvTxn.Op.put(k, r.value())));
            case APPEND -> KvCommand.txn(KvTxn.of(KvTxn.Op.append(k, r.value()), KvTxn.Op.get(KvRange.key(k))));
            case CAS ->
                KvCommand.txn(new KvTxn(
                        List.of(KvTxn.Compare.value(k, KvTxn.Cmp.EQUAL, r.expected())),
                        List.of(KvTxn.Op.put(k, r.value())),
                        List.of(KvTxn.Op.get(KvRange.key(k)))));
        };
    }

    /** The answer to {@code sent} as the plain API gives it (answers without a body pass unchanged). */
    public static KvResult plainResult(KvCommand sent, KvResult result) {
        if (result.status() != KvResult.Status.OK
                || result.body() == null
                || !sent.op().carriesBody()) {
            return result;
        }
        if (sent.op() == KvOp.RANGE) {
            KvRangeResult page = KvRangeResult.decode(result.body());
            return KvResult.ok(page.kvs().isEmpty() ? null : page.kvs().get(0).valueString());
        }
        KvTxn txn = KvTxn.decode(sent.body());
        KvTxnResult t = KvTxnResult.decode(result.body());
        List<KvTxn.Op> ops = t.succeeded() ? txn.success() : txn.failure();
        String read = null;
        for (int i = 0; i < ops.size(); i++) {
            if (ops.get(i).kind() == KvTxn.Kind.GET) {
                read = t.results().get(i).range().valueOf(ops.get(i).range().key());
            }
        }
        if (txn.compares().isEmpty()) {
            return KvResult.ok(read); // a put (null) or an append (the value read back)
        }
        String written = ops.isEmpty() || ops.get(0).kind() != KvTxn.Kind.PUT
                ? null
                : ops.get(0).value();
        return t.succeeded() ? KvResult.ok(written) : new KvResult(KvResult.Status.CAS_MISMATCH, read);
    }
}
