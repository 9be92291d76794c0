package dev.linden.checker.history;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Value normalisation and printing shared by readers, models and explanations. */
public final class Values {
    private Values() {}

    /** Integral numbers become Long, lists become immutable Lists of normalised values. */
    public static Object normalize(Object v) {
        if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
            return ((Number) v).longValue();
        }
        if (v instanceof BigInteger b) {
            return b.bitLength() < 64 ? (Object) b.longValue() : b; // never truncate a big number silently
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            for (Object o : l) {
                out.add(normalize(o));
            }
            return Collections.unmodifiableList(out);
        }
        return v;
    }

    public static String show(Object v) {
        if (v == null) {
            return "nil";
        }
        if (v instanceof String s) {
            return "\"" + s + "\"";
        }
        if (v instanceof List<?> l) {
            StringBuilder b = new StringBuilder("[");
            for (int i = 0; i < l.size(); i++) {
                b.append(i == 0 ? "" : " ").append(show(l.get(i)));
            }
            return b.append(']').toString();
        }
        return String.valueOf(v);
    }
}
