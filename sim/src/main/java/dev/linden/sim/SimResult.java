package dev.linden.sim;

/**
 * The outcome of one simulated run.
 *
 * @param verdict   linearizable, not-linearizable, safety-violation, liveness-failure, unknown or harness-error
 * @param exitCode  0 passed, 1 safety or linearizability violation, 2 liveness failure, 3 harness error or unknown
 * @param checkNanos  wall time spent in the linearizability check (part of wallNanos)
 * @param detail    what went wrong (empty when passed)
 */
public record SimResult(long seed, long ops, int faultsInjected, String verdict, int exitCode, long traceHash,
                        long simNanos, long wallNanos, long events, long checkNanos, String detail) {
    public boolean passed() {
        return exitCode == 0;
    }

    public String traceHashHex() {
        return String.format("%016x", traceHash);
    }
}
