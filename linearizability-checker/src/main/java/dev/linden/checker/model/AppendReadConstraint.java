package dev.linden.checker.model;

import dev.linden.checker.model.Model.LinearizedSet;
import java.util.Arrays;

/** What one read's string reveals, for {@link AppendModel}'s pruner: put P (or none) then appends, in order. */
final class AppendReadConstraint {
    int readId;
    long returnTime;
    String value;
    int putId = -1;
    long putInvokeTime;
    int[] appendIds;
    /** Length of P + a1 + ... + ai, for i = 0..k. */
    int[] boundaries;

    /**
     * Is {@code s}, as long as boundary {@code j}, a prefix of the read's value? The last piece first:
     * states differ from the value mostly in their latest appends, and their common start is long.
     */
    private boolean isPrefix(String s, int j) {
        return value.startsWith(s);
    }

    /** The same constraint with ids mapped through {@code newId}; null if it names an op the map drops. */
    AppendReadConstraint renumbered(int[] newId) {
        AppendReadConstraint r = new AppendReadConstraint();
        r.readId = newId[readId];
        r.returnTime = returnTime;
        r.value = value;
        r.putId = putId < 0 ? -1 : newId[putId];
        r.putInvokeTime = putInvokeTime;
        r.appendIds = new int[appendIds.length];
        for (int i = 0; i < appendIds.length; i++) {
            r.appendIds[i] = newId[appendIds[i]];
            if (r.appendIds[i] < 0) {
                return null;
            }
        }
        r.boundaries = boundaries;
        return putId >= 0 && r.putId < 0 ? null : r;
    }

    boolean reachableFrom(String s, LinearizedSet lin) {
        int len = s.length();
        int j = len <= value.length() ? Arrays.binarySearch(boundaries, len) : -1;
        if (j >= 0 && (putId < 0 || len >= boundaries[0]) && isPrefix(s, j)) {
            {
                boolean rest = true;
                for (int i = j; i < appendIds.length && rest; i++) {
                    rest = !lin.contains(appendIds[i]);
                }
                if (rest) {
                    return true;
                }
            }
        }
        // Otherwise the put of P must still come, before the read returned, with every append after it.
        if (putId < 0 || lin.contains(putId) || putInvokeTime > returnTime) {
            return false;
        }
        for (int a : appendIds) {
            if (lin.contains(a)) {
                return false;
            }
        }
        return true;
    }
}
