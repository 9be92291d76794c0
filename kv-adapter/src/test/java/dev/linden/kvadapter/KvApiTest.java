package dev.linden.kvadapter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.linden.kvnode.kv.KvCommand;
import dev.linden.kvnode.kv.KvOp;
import dev.linden.kvnode.kv.KvResult;
import dev.linden.kvnode.kv.KvStateMachine;
import dev.linden.workloads.KvRequest;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/**
 * The transaction API is the plain one in other clothes: the same requests, applied to two state machines (one
 * through plain commands, one through ranges and transactions, each with a session as a client sends them),
 * give the same answers once turned back, and leave the same keys and values.
 */
class KvApiTest {
    @Provide
    Arbitrary<List<KvRequest>> requests() {
        Arbitrary<String> keys = Arbitraries.of("a", "b", "c");
        Arbitrary<String> values = Arbitraries.of("1", "2", "3");
        Arbitrary<KvRequest> one = Arbitraries.oneOf(
                keys.map(KvRequest::get),
                Combinators.combine(keys, values).as(KvRequest::put),
                Combinators.combine(keys, values).as(KvRequest::append),
                Combinators.combine(keys, values, values).as(KvRequest::cas));
        return one.list().ofMaxSize(40);
    }

    @Property(tries = 60) // each try makes two state machines, each a 16 MiB slab
    void plainAndTxnGiveTheSameAnswersAndState(@ForAll("requests") List<KvRequest> requests) {
        KvStateMachine plain = new KvStateMachine();
        KvStateMachine txn = new KvStateMachine();
        List<KvResult> plainAnswers = new ArrayList<>();
        List<KvResult> txnAnswers = new ArrayList<>();
        long index = 0;
        for (KvRequest r : requests) {
            index++;
            plainAnswers.add(run(plain, index, KvApi.PLAIN.command(r)));
            txnAnswers.add(run(txn, index, KvApi.TXN.command(r)));
        }
        assertEquals(plainAnswers, txnAnswers);
        for (String k : List.of("a", "b", "c")) {
            assertEquals(plain.get(k), txn.get(k), "key " + k);
        }
    }

    private static KvResult run(KvStateMachine sm, long index, KvCommand c) {
        KvCommand sent = c.op().isRead() ? c : c.withSession(9, index, index - 1);
        byte[] answer = c.op().isRead() ? sm.query(sent.encode()) : sm.apply(index, sent.encode());
        return KvApi.plainResult(sent, KvResult.decode(answer));
    }

    @Test
    void eachRequestGoesThroughTheApiItNames() {
        assertEquals(KvOp.RANGE, KvApi.TXN.command(KvRequest.get("k")).op());
        assertEquals(KvOp.TXN, KvApi.TXN.command(KvRequest.cas("k", "1", "2")).op());
        assertEquals(KvOp.CAS, KvApi.PLAIN.command(KvRequest.cas("k", "1", "2")).op());
        assertEquals(KvApi.TXN, KvApi.parse("txn"));
        assertThrows(IllegalArgumentException.class, () -> KvApi.parse("grpc"));
    }
}
