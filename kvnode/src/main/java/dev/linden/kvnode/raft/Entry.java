package dev.linden.kvnode.raft;

import java.util.Arrays;
import java.util.Objects;

/**
 * One log entry. {@code index} starts at 1. A {@link Kind#NOOP} entry is appended by every new leader
 * so it can commit an entry of its own term (Raft §5.4.2, §8). A {@link Kind#CONFIG} entry carries a whole
 * {@link Membership}; it takes effect on every node as soon as it is in that node's log (thesis §4.1).
 */
public record Entry(long term, long index, Kind kind, byte[] command) {
    public enum Kind {
        NOOP,
        COMMAND,
        CONFIG
    }

    /** Fixed per-entry overhead counted by batching limits, in bytes (term, index, kind, length). */
    public static final int OVERHEAD_BYTES = 8 + 8 + 1 + 4;

    public Entry {
        if (index < 1 || term < 1) {
            throw new IllegalArgumentException(
                    "entry needs index >= 1 and term >= 1, got index " + index + " term " + term);
        }
        if (command == null) {
            command = new byte[0];
        }
    }

    public static Entry noop(long term, long index) {
        return new Entry(term, index, Kind.NOOP, new byte[0]);
    }

    public static Entry config(long term, long index, Membership membership) {
        return new Entry(term, index, Kind.CONFIG, membership.encode());
    }

    public int sizeBytes() {
        return OVERHEAD_BYTES + command.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Entry e
                && e.term == term
                && e.index == index
                && e.kind == kind
                && Arrays.equals(e.command, command);
    }

    @Override
    public int hashCode() {
        return Objects.hash(term, index, kind) * 31 + Arrays.hashCode(command);
    }

    @Override
    public String toString() {
        return "Entry{" + index + "@" + term + " " + kind + " " + command.length + "B}";
    }
}
