package dev.linden.kvnode.raft;

import java.util.Arrays;

/**
 * A frozen copy of the log's terms for (afterIndex, lastIndex]. Storage uses it to read entries back:
 * a record is the entry the core means only if its term matches (log matching), so stale versions of an
 * index left in the WAL by a truncation are skipped.
 */
public record TermLookup(long afterIndex, long lastIndex, long[] runStart, long[] runTerm) {
    /** The term of {@code index}, or -1 outside the range. */
    public long termOf(long index) {
        if (index <= afterIndex || index > lastIndex || runStart.length == 0) {
            return -1;
        }
        int i = Arrays.binarySearch(runStart, index);
        return runTerm[i >= 0 ? i : -i - 2];
    }
}
