package dev.linden.checker.history;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * A fast path for the shape nearly every history file has: one flat op map per line, as Jepsen's
 * {@code history.edn} and {@link HistoryWriter} write it ({@code {:index 0, :time 12, :type :invoke,
 * :process 3, :f :write, :key "k1", :value 5}}), with values that are integers, keywords, plain strings,
 * booleans, nil, or vectors of those (nested once). It scans the characters directly, with no parser
 * objects and no maps. A line outside that shape makes it answer null, and the reader then reads the
 * whole file with the general EDN parser, so the fast path only ever decides what the general one would.
 */
final class FastEdnLine {
    /** What one op line holds; {@code process} is null for a non-numeric process (nemesis). */
    record Op(Long process, String type, String f, String key, Object value, long time) {}

    /** Returned for a line that holds no form (blank, or only a comment). */
    static final Op NOTHING = new Op(null, null, null, null, null, -1);

    private final String s;
    private final Names names;
    private int i;

    private FastEdnLine(String s, Names names) {
        this.s = s;
        this.names = names;
    }

    /** The op on this line, {@link #NOTHING} for a blank or comment line, or null if it needs the general parser. */
    static Op parse(String line) {
        return parse(line, new Names());
    }

    /** As {@link #parse(String)}, sharing one {@link Names} across the lines of a file. */
    static Op parse(String line, Names names) {
        return new FastEdnLine(line, names).op();
    }

    /**
     * Recently seen keyword names, keys and strings of one file: a history repeats a few field names, op
     * names and keys millions of times, and each is kept once instead of once a line (the reading's main
     * cost was allocating them). A small direct-mapped table; a collision just replaces the entry.
     */
    static final class Names {
        private final String[] table = new String[1 << 13];

        String of(String s, int from, int to) {
            int h = 0;
            for (int k = from; k < to; k++) {
                h = 31 * h + s.charAt(k);
            }
            int slot = (h ^ (h >>> 13)) & (table.length - 1);
            String known = table[slot];
            int n = to - from;
            if (known != null && known.length() == n && s.regionMatches(from, known, 0, n)) {
                return known;
            }
            String fresh = s.substring(from, to);
            table[slot] = fresh;
            return fresh;
        }
    }

    private static final Object FAIL = new Object();
    /** A process that is not a client (:nemesis). */
    private static final Object NEMESIS = new Object();

    /** A keyword while scanning (a string and a keyword must stay apart until the field says which it needs). */
    private record Kw(String name) {}

    /** Values as the general path gives them: keywords become ":name" strings. */
    private static Object plain(Object v) {
        if (v instanceof Kw k) {
            return ":" + k.name();
        }
        if (v instanceof List<?> l) {
            Object[] out = new Object[l.size()];
            for (int j = 0; j < out.length; j++) {
                out[j] = plain(l.get(j));
            }
            return Collections.unmodifiableList(Arrays.asList(out));
        }
        return v;
    }

    private Op op() {
        space();
        if (i == s.length() || s.charAt(i) == ';') {
            return NOTHING;
        }
        if (s.charAt(i) != '{') {
            return null;
        }
        i++;
        Object process = FAIL;
        String type = null;
        String f = null;
        String key = null;
        Object value = null;
        long time = -1;
        while (true) {
            space();
            if (i >= s.length()) {
                return null; // the map goes on to the next line
            }
            if (s.charAt(i) == '}') {
                i++;
                break;
            }
            String field = keyword();
            if (field == null) {
                return null;
            }
            space();
            Object v = value(0);
            if (v == FAIL) {
                return null;
            }
            switch (field) {
                case "process" -> process = v instanceof Kw || v instanceof String ? NEMESIS : v;
                case "type" -> type = v instanceof Kw k ? k.name() : null;
                case "f" -> f = v instanceof Kw k ? k.name() : v instanceof String t ? t : null;
                case "key" ->
                    key = v instanceof Kw k ? k.name() : v == null ? null : v instanceof List ? "\0" : v.toString();
                case "value" -> value = plain(v);
                case "time" -> time = v instanceof Long t ? t : -1;
                default -> {} // :index, :error and the rest: not needed
            }
        }
        space();
        if (i < s.length() && s.charAt(i) != ';') {
            return null; // another form on the same line
        }
        if (process == FAIL
                || type == null
                || f == null
                || "\0".equals(key)
                || (process != NEMESIS && !(process instanceof Long))) {
            return null; // let the general path give the precise error
        }
        return new Op(process instanceof Long p ? p : null, type, f, key, value, time);
    }

    private void space() {
        while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == ',' || s.charAt(i) == '\t')) {
            i++;
        }
    }

    /** A keyword's name, or null. */
    private String keyword() {
        if (i >= s.length() || s.charAt(i) != ':') {
            return null;
        }
        int start = ++i;
        while (i < s.length() && symbolChar(s.charAt(i))) {
            i++;
        }
        return i == start ? null : names.of(s, start, i);
    }

    private static boolean symbolChar(char c) {
        return (c >= 'a' && c <= 'z')
                || (c >= 'A' && c <= 'Z')
                || (c >= '0' && c <= '9')
                || c == '-'
                || c == '_'
                || c == '?'
                || c == '!'
                || c == '*'
                || c == '+'
                || c == '.'
                || c == '<'
                || c == '>'
                || c == '=';
    }

    private Object value(int depth) {
        if (i >= s.length()) {
            return FAIL;
        }
        char c = s.charAt(i);
        if (c == ':') {
            String k = keyword();
            return k == null || (i < s.length() && !delimiter(s.charAt(i))) ? FAIL : new Kw(k);
        }
        if (c == '"') {
            int start = ++i;
            while (i < s.length() && s.charAt(i) != '"') {
                if (s.charAt(i) == '\\') {
                    return FAIL; // escapes: the general parser
                }
                i++;
            }
            if (i >= s.length()) {
                return FAIL;
            }
            return names.of(s, start, i++);
        }
        if (c == '-' || (c >= '0' && c <= '9')) {
            int start = i;
            if (c == '-') {
                i++;
            }
            int digits = i;
            while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                i++;
            }
            int n = i - digits;
            if (n == 0 || n > 18 || (i < s.length() && !delimiter(s.charAt(i)))) {
                return FAIL; // big numbers, decimals, ratios, symbols
            }
            return Long.parseLong(s, start, i, 10);
        }
        if (c == '[' && depth < 2) {
            i++;
            List<Object> items = new ArrayList<>(4);
            while (true) {
                space();
                if (i >= s.length()) {
                    return FAIL;
                }
                if (s.charAt(i) == ']') {
                    i++;
                    return Collections.unmodifiableList(Arrays.asList(items.toArray()));
                }
                Object v = value(depth + 1);
                if (v == FAIL) {
                    return FAIL;
                }
                items.add(v);
            }
        }
        for (String word : new String[] {"nil", "true", "false"}) {
            if (s.startsWith(word, i) && (i + word.length() == s.length() || delimiter(s.charAt(i + word.length())))) {
                i += word.length();
                return word.equals("nil") ? null : word.equals("true");
            }
        }
        return FAIL;
    }

    private static boolean delimiter(char c) {
        return c == ' ' || c == ',' || c == '\t' || c == '}' || c == ']';
    }
}
