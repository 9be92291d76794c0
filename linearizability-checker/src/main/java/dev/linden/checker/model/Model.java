package dev.linden.checker.model;

import dev.linden.checker.history.Operation;
import dev.linden.checker.history.Values;
import java.util.List;

/**
 * A sequential specification: the whole contract a checker needs. A new model is one small class.
 * States must be immutable with value equality and hashCode (they are memoized).
 */
public interface Model {
    /** Returned by {@link #step} when the operation cannot take effect in the given state. */
    Object ILLEGAL = new Object() {
        @Override
        public String toString() {
            return "ILLEGAL";
        }
    };

    String name();

    Object init();

    /**
     * The state after {@code op} takes effect in {@code state}, or {@link #ILLEGAL} if it cannot with
     * the output it observed. An indeterminate op has no output; only its effect matters.
     */
    Object step(Object state, Operation op);

    /** Throws IllegalArgumentException if this model does not know the op's function or argument shape. */
    void validate(Operation op);

    /** True if the op cannot change the state (an indeterminate one then constrains nothing and is dropped). */
    boolean readOnly(Operation op);

    /** Ops with different keys touch independent state (P-compositionality); null = one partition. */
    default String partitionKey(Operation op) {
        return op.key();
    }

    default String describe(Object state) {
        return Values.show(state);
    }

    /** Rough retained size of a state in bytes, for the memory budget. */
    default int stateBytes(Object state) {
        return 16;
    }

    /**
     * An optional rewrite of one partition's operations into an equivalent, easier history (same verdict).
     * Ids and times must be kept. The default keeps them as they are.
     */
    default List<Operation> canonicalize(List<Operation> partitionOps) {
        return partitionOps;
    }

    /**
     * An optional sound pruning rule for one partition's operations: it may only reject states from which
     * no linearization can complete. Returns null when the model has none.
     */
    default Pruner pruner(List<Operation> partitionOps) {
        return null;
    }

    /**
     * Pruners for cuts of one partition. Explaining a failure re-searches many cuts of the same operations
     * (the history as it stood at some time: later invocations dropped, reads still open dropped, other
     * ops still open made indeterminate, ids renumbered in order). A model whose pruner is costly to build
     * may analyse the whole partition once and derive each cut's pruner from that, as long as the derived
     * pruner is sound for the cut. The default builds each cut's pruner from scratch.
     */
    default CutPruners cutPruners(List<Operation> partitionOps) {
        return (cutOps, partitionIdOf) -> pruner(cutOps);
    }

    /** See {@link #cutPruners}. */
    interface CutPruners {
        /**
         * The pruner (or null) for a cut whose op {@code i} is partition op {@code partitionIdOf[i]}.
         */
        Pruner forCut(List<Operation> cutOps, int[] partitionIdOf);
    }

    /** Sound pruning: {@link #allows} must never reject a (linearized set, state) that could complete. */
    interface Pruner {
        boolean allows(Object state, LinearizedSet linearized);
    }

    /** Read access to the search's set of linearized ops (ids are the partition's). */
    interface LinearizedSet {
        boolean contains(int opId);
    }
}
