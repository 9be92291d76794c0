package dev.linden.workloads;

import java.util.SplittableRandom;

/** A generator of client operations, and the checker model that judges them. */
public interface Workload {
    /** The checker model name for histories of this workload. */
    String model();

    /** The next operation; values are unique so the checker can prune and explain. */
    Invocation next(SplittableRandom random);

    static Workload named(String name, int keys) {
        return switch (name) {
            case "register" -> new RegisterWorkload(keys);
            case "append" -> new AppendWorkload(keys);
            default -> throw new IllegalArgumentException("unknown workload '" + name + "' (register or append)");
        };
    }
}
