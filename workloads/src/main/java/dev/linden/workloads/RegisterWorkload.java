package dev.linden.workloads;

import dev.linden.workloads.check.Check;
import dev.linden.workloads.check.Checks;
import dev.linden.workloads.check.LinearizableCheck;
import dev.linden.workloads.gen.Gen;
import dev.linden.workloads.gen.Generator;
import dev.linden.workloads.gen.Op;
import java.util.ArrayList;
import java.util.List;

/**
 * Compare-and-set registers: reads, writes of unique values, and compare-and-set from a recently
 * written value (so a fair share succeed). With one key this is Jepsen's {@code register} (a single CAS
 * register, no key in the history); with more it is {@code kv}, independent registers checked per key.
 * A CAS whose expected value did not match is a {@code fail}: it certainly did not happen.
 */
final class RegisterWorkload implements Workload {
    private final int keys;
    private long nextValue = 1;
    private final List<List<Long>> recent = new ArrayList<>();

    RegisterWorkload(int keys) {
        if (keys < 1 || keys > 100_000) {
            throw new IllegalArgumentException("keys must be in 1..100000");
        }
        this.keys = keys;
        for (int i = 0; i < keys; i++) {
            recent.add(new ArrayList<>());
        }
    }

    @Override
    public String name() {
        return keys == 1 ? "register" : "kv";
    }

    private String key(int k) {
        return keys == 1 ? null : "k" + k;
    }

    @Override
    public Generator generator() {
        return Gen.fromFunction(random -> {
            int k = random.nextInt(keys);
            int roll = random.nextInt(10);
            if (roll < 4) {
                return Op.of("read", key(k), null);
            }
            long value = nextValue++;
            List<Long> written = recent.get(k);
            Op op = roll < 8 || written.isEmpty()
                    ? Op.of("write", key(k), value)
                    : Op.of("cas", key(k), List.of(written.get(random.nextInt(written.size())), value));
            written.add(value);
            if (written.size() > 3) {
                written.remove(0);
            }
            return op;
        });
    }

    @Override
    public Generator readOnlyGenerator() {
        return Gen.fromFunction(random -> Op.of("read", key(random.nextInt(keys)), null));
    }

    @Override
    public List<Op> finalOps() {
        List<Op> out = new ArrayList<>();
        for (int k = 0; k < keys; k++) {
            out.add(Op.of("read", key(k), null));
        }
        return out;
    }

    @Override
    public Check checker(Check.Options options) {
        return Checks.compose(List.of(new LinearizableCheck(keys == 1 ? "cas-register" : "kv", options)));
    }

    @Override
    public KvRequest request(Op op) {
        String key = op.key() == null ? "r" : op.key();
        switch (op.f()) {
            case "read":
                return KvRequest.get(key);
            case "write":
                return KvRequest.put(key, String.valueOf(op.value()));
            case "cas": {
                List<?> args = (List<?>) op.value();
                return KvRequest.cas(key, String.valueOf(args.get(0)), String.valueOf(args.get(1)));
            }
            default:
                throw new IllegalArgumentException("register has no operation " + op.f());
        }
    }

    @Override
    public Object okValue(Op op, String stored) {
        if (op.f().equals("read")) {
            return stored == null ? null : Long.parseLong(stored);
        }
        return op.value();
    }
}
