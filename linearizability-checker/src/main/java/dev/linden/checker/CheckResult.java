package dev.linden.checker;

import java.util.List;

/**
 * The verdict for a whole history: not-linearizable if any key is, else unknown if any key is.
 *
 * @param elapsedMicros the check's wall time in microseconds ({@code elapsedMillis} is the same, rounded down)
 */
public record CheckResult(
        String source,
        String model,
        Verdict verdict,
        long elapsedMillis,
        long elapsedMicros,
        int operations,
        List<KeyResult> keys) {

    public List<KeyResult> keysWith(Verdict v) {
        return keys.stream().filter(k -> k.verdict() == v).toList();
    }
}
