package dev.linden.workloads;

import dev.linden.workloads.check.Check;
import dev.linden.workloads.check.Checks;
import dev.linden.workloads.check.SetFullCheck;
import dev.linden.workloads.gen.Gen;
import dev.linden.workloads.gen.Generator;
import dev.linden.workloads.gen.Op;
import java.util.List;
import java.util.TreeSet;

/**
 * One set: adds of unique elements, reads of the whole set, and final reads after healing. Checked as
 * Jepsen's {@code set-full}: every element's fate (stable, lost, stale, never read), with stale reads
 * counted as errors because reads are meant to be linearizable.
 */
final class SetWorkload implements Workload {
    static final String KEY = "set";
    private long next = 1;

    @Override
    public String name() {
        return "set";
    }

    @Override
    public Generator generator() {
        return Gen.fromFunction(
                random -> random.nextInt(4) == 0 ? Op.of("read", null, null) : Op.of("add", null, next++));
    }

    @Override
    public List<Op> finalOps() {
        return List.of(Op.of("read", null, null));
    }

    @Override
    public Check checker(Check.Options options) {
        return Checks.compose(List.of(new SetFullCheck(true)));
    }

    @Override
    public KvRequest request(Op op) {
        switch (op.f()) {
            case "read":
                return KvRequest.get(KEY);
            case "add":
                return KvRequest.append(KEY, ElementCodec.encode(((Number) op.value()).longValue()));
            default:
                throw new IllegalArgumentException("set has no operation " + op.f());
        }
    }

    @Override
    public Object okValue(Op op, String stored) {
        return op.f().equals("read") ? new TreeSet<>(ElementCodec.decode(stored)) : op.value();
    }
}
