package dev.linden.workloads.gen;

/**
 * An operation a generator emits: {@code f} and {@code value} as the history records them (key included
 * where the workload has keys), the process that runs it, and the earliest time it may be invoked.
 * {@link Context#NEMESIS} is the nemesis's process.
 */
public record Op(String f, String key, Object value, int process, long timeNanos) {
    /** The process of a template that any free client process may run. */
    public static final int ANY_CLIENT = Integer.MIN_VALUE;

    /** An operation template for a client: process and time are filled in when a generator emits it. */
    public static Op of(String f, String key, Object value) {
        return new Op(f, key, value, ANY_CLIENT, 0);
    }

    /** A nemesis operation template (a fault to start or stop). */
    public static Op fault(String f, Object value) {
        return new Op(f, null, value, Context.NEMESIS, 0);
    }

    public static Op of(String f, Object value) {
        return of(f, null, value);
    }

    Op at(int p, long t) {
        return new Op(f, key, value, p, t);
    }

    Op withTime(long t) {
        return new Op(f, key, value, process, t);
    }
}
