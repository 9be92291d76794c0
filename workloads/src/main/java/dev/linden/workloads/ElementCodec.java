package dev.linden.workloads;

import java.util.ArrayList;
import java.util.List;

/**
 * How list-append and set store their elements in a key-value store that can append to a string: each
 * element is its decimal digits and a comma, so {@code "3,1,12,"} is the list [3 1 12].
 */
final class ElementCodec {
    private ElementCodec() {}

    static String encode(long element) {
        return element + ",";
    }

    /** The elements of a stored string; a malformed one is an error (the store returned what no one wrote). */
    static List<Long> decode(String stored) {
        List<Long> out = new ArrayList<>();
        if (stored == null || stored.isEmpty()) {
            return out;
        }
        if (!stored.endsWith(",")) {
            throw new IllegalArgumentException("a stored list must end with ',': " + abbreviate(stored));
        }
        int from = 0;
        for (int i = 0; i < stored.length(); i++) {
            if (stored.charAt(i) == ',') {
                try {
                    out.add(Long.parseLong(stored, from, i, 10));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("not a stored list: " + abbreviate(stored));
                }
                from = i + 1;
            }
        }
        return out;
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 80) + "...";
    }
}
