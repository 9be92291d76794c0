package dev.linden.checker;

import dev.linden.checker.history.Operation;
import java.util.List;

/**
 * The verdict for one partition (key).
 *
 * @param linearization  a full linearization when linearizable, else the longest partial one found
 * @param unknownReason  for UNKNOWN: which budget ran out
 */
public record KeyResult(
        String key,
        Verdict verdict,
        int operations,
        long elapsedMillis,
        long searchSteps,
        long cacheEntries,
        String unknownReason,
        List<Operation> linearization,
        Counterexample counterexample) {}
