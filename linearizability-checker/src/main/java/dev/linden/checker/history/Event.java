package dev.linden.checker.history;

/**
 * One line of a history: a process invoking an operation or learning its outcome.
 *
 * @param index     position in the history (0-based), used in messages
 * @param process   the client process; it has at most one operation open at a time
 * @param type      invoke, ok, fail or info
 * @param f         the function, e.g. {@code read}, {@code write}, {@code cas}, {@code append}
 * @param key       the key for keyed models, or null
 * @param value     the argument (invoke) or result (completion): Long, String, Boolean, List or null
 * @param timeNanos when it happened, in nanoseconds (or any monotone order, e.g. the line number)
 */
public record Event(int index, long process, OpType type, String f, String key, Object value, long timeNanos) {}
