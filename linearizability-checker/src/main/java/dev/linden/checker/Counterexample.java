package dev.linden.checker;

import dev.linden.checker.history.Operation;
import java.util.List;

/**
 * Why one key is not linearizable.
 *
 * @param op            the operation that cannot be linearized after the longest linearizable prefix
 * @param concurrent    operations whose real-time intervals overlap it
 * @param prefix        the longest linearizable prefix found, in linearization order
 * @param stateAfter    the model state after that prefix
 * @param explanation   one plain-English sentence
 */
public record Counterexample(
        String key,
        Operation op,
        List<Operation> concurrent,
        List<Operation> prefix,
        String stateAfter,
        String explanation) {}
