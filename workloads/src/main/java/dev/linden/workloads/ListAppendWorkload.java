package dev.linden.workloads;

import dev.linden.workloads.check.Check;
import dev.linden.workloads.check.Checks;
import dev.linden.workloads.check.ListAppendCheck;
import dev.linden.workloads.gen.Gen;
import dev.linden.workloads.gen.Generator;
import dev.linden.workloads.gen.Op;
import java.util.ArrayList;
import java.util.List;

/**
 * Lists per key: appends of unique values and reads of whole lists ({@code :f :append :value 7},
 * {@code :f :read :value [3 1 7]}). Unique values let a read reveal the order of every append it saw, so
 * the history is checked for linearizability per key, and the final reads must hold every acknowledged
 * append.
 */
final class ListAppendWorkload implements Workload {
    private final int keys;
    private long next = 1;

    ListAppendWorkload(int keys) {
        if (keys < 1 || keys > 100_000) {
            throw new IllegalArgumentException("keys must be in 1..100000");
        }
        this.keys = keys;
    }

    @Override
    public String name() {
        return "list-append";
    }

    @Override
    public Generator generator() {
        return Gen.fromFunction(random -> {
            String key = "k" + random.nextInt(keys);
            return random.nextInt(2) == 0 ? Op.of("read", key, null) : Op.of("append", key, next++);
        });
    }

    @Override
    public List<Op> finalOps() {
        List<Op> out = new ArrayList<>();
        for (int k = 0; k < keys; k++) {
            out.add(Op.of("read", "k" + k, null));
        }
        return out;
    }

    @Override
    public Check checker(Check.Options options) {
        return Checks.compose(List.of(new ListAppendCheck(options)));
    }

    @Override
    public KvRequest request(Op op) {
        switch (op.f()) {
            case "read":
                return KvRequest.get(op.key());
            case "append":
                return KvRequest.append(op.key(), ElementCodec.encode(((Number) op.value()).longValue()));
            default:
                throw new IllegalArgumentException("list-append has no operation " + op.f());
        }
    }

    @Override
    public Object okValue(Op op, String stored) {
        return op.f().equals("read") ? ElementCodec.decode(stored) : op.value();
    }
}
