package dev.linden.kvnode.events;

import java.util.HashMap;
import java.util.Map;

/**
 * Reads one flat JSON object ({@code {"k":"v","n":12,"b":true}}, no nesting, no arrays) into strings by key;
 * null if the line is not such an object. Enough for {@link EventCodec}'s own lines, and strict enough that a
 * torn line is refused rather than half read.
 */
final class FlatJson {
    /** Keys in one line at most: a foreign line cannot make the reader build a large map. */
    private static final int MAX_KEYS = 64;

    private FlatJson() {}

    static Map<String, String> parse(String line) {
        String s = line.strip();
        if (s.length() < 2 || s.charAt(0) != '{' || s.charAt(s.length() - 1) != '}') {
            return null;
        }
        Map<String, String> out = new HashMap<>();
        int[] at = {1};
        while (at[0] < s.length() - 1) {
            String key = string(s, at);
            if (key == null || at[0] >= s.length() || s.charAt(at[0]) != ':' || out.size() >= MAX_KEYS) {
                return null;
            }
            at[0]++;
            String value = s.charAt(at[0]) == '"' ? string(s, at) : bare(s, at);
            if (value == null) {
                return null;
            }
            out.put(key, value);
            if (s.charAt(at[0]) == ',') {
                at[0]++;
            } else if (at[0] != s.length() - 1) {
                return null;
            }
        }
        return out;
    }

    /** A quoted string at {@code at[0]}, with backslash escapes of one character; moves past it. */
    private static String string(String s, int[] at) {
        if (s.charAt(at[0]) != '"') {
            return null;
        }
        StringBuilder b = new StringBuilder();
        for (int i = at[0] + 1; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                b.append(s.charAt(++i));
            } else if (c == '"') {
                at[0] = i + 1;
                return b.toString();
            } else {
                b.append(c);
            }
        }
        return null;
    }

    /** A number, true, false or null: up to the next comma or the closing brace. */
    private static String bare(String s, int[] at) {
        int i = at[0];
        while (i < s.length() - 1 && s.charAt(i) != ',') {
            i++;
        }
        String v = s.substring(at[0], i).strip();
        at[0] = i;
        return v.isEmpty() ? null : v;
    }
}
