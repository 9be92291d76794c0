package dev.linden.checker;

import dev.linden.checker.history.Operation;
import java.util.Arrays;
import java.util.List;

/**
 * The search's entry list: the calls and returns of a partition's ops, doubly linked in time order, after a
 * sentinel HEAD. At equal times calls come first (treated as concurrent), then by op id. {@link Search}
 * takes the arrays over and lifts entries out of the list and back as it goes.
 */
final class EntryList {
    static final int NIL = -1;

    /** entryOp[e]: the op entry e is the call or the return of. */
    final int[] entryOp;

    final boolean[] entryIsCall;
    /** returnOfCall[e]: the return entry of call entry e, NIL for an indeterminate op's call. */
    final int[] returnOfCall;

    final int[] next;
    final int[] prev;
    /** The sentinel before the first entry. */
    final int head;

    EntryList(List<Operation> ops) {
        int n = ops.size();
        int[] order = new int[2 * n];
        int m = sort(ops, order);
        entryOp = new int[m];
        entryIsCall = new boolean[m];
        returnOfCall = new int[m];
        head = m;
        next = new int[m + 1];
        prev = new int[m + 1];
        link(order, n);
    }

    /** The entry list from the events in time order: entry i is event order[i], HEAD before the first. */
    private void link(int[] order, int n) {
        int m = entryOp.length;
        Arrays.fill(returnOfCall, NIL);
        int[] callEntryOfOp = new int[n];
        for (int i = 0; i < m; i++) {
            int ev = order[i];
            entryIsCall[i] = ev < n;
            entryOp[i] = ev < n ? ev : ev - n;
            if (entryIsCall[i]) {
                callEntryOfOp[entryOp[i]] = i;
            } else {
                returnOfCall[callEntryOfOp[entryOp[i]]] = i;
            }
        }
        for (int i = 0; i < m; i++) {
            next[i] = i + 1 < m ? i + 1 : NIL;
            prev[i] = i == 0 ? head : i - 1;
        }
        next[head] = m == 0 ? NIL : 0;
        prev[head] = NIL;
    }

    /**
     * Writes the events of {@code ops} to {@code order} (of length 2n) in time order; returns their count.
     * Event e &lt; n is op e's call, n + e its return (indeterminate ops have none); sorted as primitives,
     * since this runs per cut.
     */
    private static int sort(List<Operation> ops, int[] order) {
        int n = ops.size();
        int m = 0;
        long[] timeOf = new long[2 * n];
        for (Operation op : ops) {
            order[m++] = op.id();
            timeOf[op.id()] = op.invokeTime();
            if (!op.indeterminate()) {
                order[m++] = n + op.id();
                timeOf[n + op.id()] = op.returnTime();
            }
        }
        sortEvents(order, m, timeOf);
        return m;
    }

    /** Orders events by time, calls before returns, then op id: the event number encodes the last two. */
    private static void sortEvents(int[] order, int count, long[] timeOf) {
        // Insertion sort where the input is nearly sorted (small or mostly in order), else a merge sort.
        if (count <= 64) {
            for (int i = 1; i < count; i++) {
                int ev = order[i];
                int j = i - 1;
                while (j >= 0 && eventBefore(ev, order[j], timeOf)) {
                    order[j + 1] = order[j];
                    j--;
                }
                order[j + 1] = ev;
            }
            return;
        }
        int[] tmp = new int[count];
        for (int width = 1; width < count; width <<= 1) {
            for (int lo = 0; lo < count - width; lo += 2 * width) {
                int mid = lo + width;
                int hi = Math.min(lo + 2 * width, count);
                if (!eventBefore(order[mid], order[mid - 1], timeOf)) {
                    continue; // already in order
                }
                int i = lo;
                int j = mid;
                int k = lo;
                while (i < mid && j < hi) {
                    tmp[k++] = eventBefore(order[j], order[i], timeOf) ? order[j++] : order[i++];
                }
                while (i < mid) {
                    tmp[k++] = order[i++];
                }
                while (j < hi) {
                    tmp[k++] = order[j++];
                }
                System.arraycopy(tmp, lo, order, lo, hi - lo);
            }
        }
    }

    /** Strictly before: earlier time; at equal times calls (smaller numbers) first, then by op id. */
    private static boolean eventBefore(int a, int b, long[] timeOf) {
        long ta = timeOf[a];
        long tb = timeOf[b];
        return ta != tb ? ta < tb : a < b;
    }
}
