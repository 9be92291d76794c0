package dev.linden.kvnode.service;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.kvnode.kv.KvCommand;
import dev.linden.kvnode.kv.KvRange;
import dev.linden.kvnode.kv.KvTxn;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Transactions against the node's limits: each key and value inside checked, and only writing ones charged. */
class KvLimitsTxnTest {
    @Test
    void onlyTransactionsThatMayPutOrAppendCountAgainstTheQuota() {
        byte[] deletes = KvCommand.txn(KvTxn.of(KvTxn.Op.deleteRange("a", "b"), KvTxn.Op.get(KvRange.key("a"))))
                .encode();
        byte[] putsOnFailure = KvCommand.txn(new KvTxn(
                        List.of(KvTxn.Compare.version("a", KvTxn.Cmp.EQUAL, 0)),
                        List.of(),
                        List.of(KvTxn.Op.append("a", "x"))))
                .encode();
        assertFalse(KvLimits.writes(deletes), "a transaction that deletes and reads goes on at the quota");
        assertTrue(KvLimits.writes(putsOnFailure));
    }

    @Test
    void keysAndValuesInsideATransactionAreHeldToTheNodesLimits() {
        KvLimits limits = new KvLimits(8, 16, 1 << 20);
        assertNull(limits.sizeProblem(
                KvCommand.txn(KvTxn.of(KvTxn.Op.put("short", "small"))).encode()));
        assertNotNull(limits.sizeProblem(
                KvCommand.txn(KvTxn.of(KvTxn.Op.put("a-long-key", "v"))).encode()));
        assertNotNull(limits.sizeProblem(
                KvCommand.txn(KvTxn.of(KvTxn.Op.put("k", "x".repeat(17)))).encode()));
        assertNotNull(limits.sizeProblem(
                KvCommand.range(KvRange.prefix("a-long-prefix")).encode()));
    }
}
