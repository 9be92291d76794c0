package dev.linden.workloads;

import java.util.SplittableRandom;

/**
 * A string per key: gets, appends of unique tokens, and occasional puts. Checked with the
 * {@code append} model; unique tokens let the checker fix the order of appends from what reads saw.
 */
public final class AppendWorkload implements Workload {
    private final int keys;
    private long next = 1;

    public AppendWorkload(int keys) {
        if (keys < 1) {
            throw new IllegalArgumentException("keys must be >= 1");
        }
        this.keys = keys;
    }

    @Override
    public String model() {
        return "append";
    }

    @Override
    public Invocation next(SplittableRandom random) {
        String key = "k" + random.nextInt(keys);
        int roll = random.nextInt(20);
        if (roll < 9) {
            return new Invocation("get", key, null);
        }
        String token = "<" + (next++) + ">";
        return new Invocation(roll == 19 ? "put" : "append", key, token);
    }
}
