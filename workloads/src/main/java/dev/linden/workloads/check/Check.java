package dev.linden.workloads.check;

import dev.linden.workloads.HistoryOp;
import java.util.List;

/**
 * A checker, as Jepsen's: judges a whole history (client and nemesis operations). Pure: the same
 * history gives the same outcome, so {@code ./linden analyze} re-runs it on a stored history. A check
 * that throws is a harness error, never "valid".
 */
public interface Check {
    String name();

    CheckOutcome check(List<HistoryOp> history);

    /**
     * Budgets of the expensive checks.
     *
     * @param timeLimitMillis   linearizability search budget; past it the verdict is unknown
     * @param maxMemoryBytes    memory budget of the search
     * @param parallelism       threads for the per-key search (1 in the simulator's sweeps)
     */
    record Options(long timeLimitMillis, long maxMemoryBytes, int parallelism) {
        public Options {
            if (timeLimitMillis < 1 || maxMemoryBytes < (1 << 20) || parallelism < 1) {
                throw new IllegalArgumentException("bad check options");
            }
        }

        public static Options defaults() {
            return new Options(60_000, 512L << 20, 1);
        }
    }
}
