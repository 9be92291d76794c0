package dev.linden.workloads;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A register per key: reads, writes of unique values, and compare-and-set from a recently written value
 * (so a fair share of CASes succeed). Checked with the {@code kv} model.
 */
public final class RegisterWorkload implements Workload {
    private final int keys;
    private long nextValue = 1;
    private final List<List<Long>> recent = new ArrayList<>();

    public RegisterWorkload(int keys) {
        if (keys < 1) {
            throw new IllegalArgumentException("keys must be >= 1");
        }
        this.keys = keys;
        for (int i = 0; i < keys; i++) {
            recent.add(new ArrayList<>());
        }
    }

    @Override
    public String model() {
        return "kv";
    }

    @Override
    public Invocation next(SplittableRandom random) {
        int k = random.nextInt(keys);
        String key = "k" + k;
        int roll = random.nextInt(10);
        if (roll < 4) {
            return new Invocation("read", key, null);
        }
        long value = nextValue++;
        List<Long> written = recent.get(k);
        if (roll < 8 || written.isEmpty()) {
            written.add(value);
            if (written.size() > 3) {
                written.remove(0);
            }
            return new Invocation("write", key, value);
        }
        long expected = written.get(random.nextInt(written.size()));
        written.add(value);
        if (written.size() > 3) {
            written.remove(0);
        }
        return new Invocation("cas", key, List.of(expected, value));
    }
}
