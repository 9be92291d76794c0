package dev.linden.checker.history;

/**
 * An invocation paired with its completion. Failed operations never become Operations (they did not
 * happen). An indeterminate one has {@code returnTime == Long.MAX_VALUE}: it may take effect at any
 * time after its invocation, or never.
 *
 * @param id          dense id within its history, 0..n-1
 * @param input       the invocation's argument
 * @param output      the completion's result (null when indeterminate)
 * @param invokeIndex / returnIndex the events' indexes in the history (-1 if there was no completion)
 */
public record Operation(
        int id,
        long process,
        String f,
        String key,
        Object input,
        Object output,
        long invokeTime,
        long returnTime,
        boolean indeterminate,
        int invokeIndex,
        int returnIndex) {

    public Operation withId(int newId) {
        return new Operation(
                newId, process, f, key, input, output, invokeTime, returnTime, indeterminate, invokeIndex, returnIndex);
    }

    /** Real-time order: this operation completed before {@code other} was invoked. */
    public boolean precedes(Operation other) {
        return returnTime < other.invokeTime;
    }

    public boolean concurrentWith(Operation other) {
        return !precedes(other) && !other.precedes(this);
    }

    @Override
    public String toString() {
        return "p" + process + " " + f + (key == null ? "" : "(" + key + ")") + " " + Values.show(input)
                + (indeterminate ? " -> ?" : " -> " + Values.show(output));
    }
}
