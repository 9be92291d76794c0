package dev.linden.cli;

import dev.linden.kvnode.client.KvClient;
import dev.linden.kvnode.kv.KvRange;
import dev.linden.kvnode.kv.KvRangeResult;
import dev.linden.kvnode.kv.KvTxn;
import dev.linden.kvnode.kv.KvTxnResult;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;

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
