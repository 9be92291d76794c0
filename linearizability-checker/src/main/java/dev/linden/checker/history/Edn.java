package dev.linden.checker.history;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * A small reader for the EDN subset Jepsen, Knossos and Elle write: maps, vectors, lists, sets,
 * keywords, symbols, strings, integers, floats, booleans, nil, comments, and tagged literals (the tag
 * is dropped: {@code #jepsen.history.Op{...}} reads as its map).
 */
public final class Edn {
    /** A keyword such as {@code :invoke}, held without its colon. */
    public record Keyword(String name) {
        @Override
        public String toString() {
            return ":" + name;
        }
    }

    /** Maximum nesting depth accepted (guards against stack exhaustion on hostile input). */
    public static final int MAX_DEPTH = 64;

    private final String text;
    private int pos;

    private Edn(String text) {
        this.text = text;
    }

    /** Parses every top-level value in {@code text}. */
    public static List<Object> parseAll(String text) {
        Edn p = new Edn(text);
        List<Object> out = new ArrayList<>();
        p.skipSpace();
        while (p.pos < text.length()) {
            out.add(p.value(0));
            p.skipSpace();
        }
        return out;
    }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException(what + " at column " + (pos + 1));
    }

    private void skipSpace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c == ';') {
                while (pos < text.length() && text.charAt(pos) != '\n') {
                    pos++;
                }
            } else if (Character.isWhitespace(c) || c == ',') {
                pos++;
            } else {
                return;
            }
        }
    }

    private Object value(int depth) {
        if (depth > MAX_DEPTH) {
            throw error("nesting deeper than " + MAX_DEPTH);
        }
        skipSpace();
        if (pos >= text.length()) {
            throw error("unexpected end of input");
        }
        char c = text.charAt(pos);
        switch (c) {
            case '{':
                pos++;
                return map(depth);
            case '[':
                pos++;
                return seq(']', depth);
            case '(':
                pos++;
                return seq(')', depth);
            case '"':
                pos++;
                return string();
            case ':':
                pos++;
                return new Keyword(token());
            case '#':
                pos++;
                if (pos < text.length() && text.charAt(pos) == '{') {
                    pos++;
                    return new LinkedHashSet<>(seq('}', depth));
                }
                if (pos < text.length() && text.charAt(pos) == '_') {
                    pos++;
                    value(depth + 1); // discard
                    return value(depth);
                }
                token(); // the tag; the tagged value stands for itself
                return value(depth + 1);
            case '}':
            case ']':
            case ')':
                throw error("unexpected '" + c + "'");
            default:
                return atom(token());
        }
    }

    private Map<Object, Object> map(int depth) {
        Map<Object, Object> m = new LinkedHashMap<>();
        while (true) {
            skipSpace();
            if (pos >= text.length()) {
                throw error("unterminated map");
            }
            if (text.charAt(pos) == '}') {
                pos++;
                return m;
            }
            Object k = value(depth + 1);
            skipSpace();
            if (pos >= text.length() || text.charAt(pos) == '}') {
                throw error("map key " + k + " has no value");
            }
            m.put(k, value(depth + 1));
        }
    }

    private List<Object> seq(char close, int depth) {
        List<Object> out = new ArrayList<>();
        while (true) {
            skipSpace();
            if (pos >= text.length()) {
                throw error("missing '" + close + "'");
            }
            if (text.charAt(pos) == close) {
                pos++;
                return out;
            }
            out.add(value(depth + 1));
        }
    }

    private String string() {
        StringBuilder b = new StringBuilder();
        while (pos < text.length()) {
            char c = text.charAt(pos++);
            if (c == '"') {
                return b.toString();
            }
            if (c == '\\') {
                if (pos >= text.length()) {
                    break;
                }
                char e = text.charAt(pos++);
                switch (e) {
                    case 'n' -> b.append('\n');
                    case 't' -> b.append('\t');
                    case 'r' -> b.append('\r');
                    case '"' -> b.append('"');
                    case '\\' -> b.append('\\');
                    case 'u' -> {
                        if (pos + 4 > text.length()) {
                            throw error("bad \\u escape");
                        }
                        b.append((char) Integer.parseInt(text.substring(pos, pos + 4), 16));
                        pos += 4;
                    }
                    default -> b.append(e);
                }
            } else {
                b.append(c);
            }
        }
        throw error("unterminated string");
    }

    private String token() {
        int start = pos;
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (Character.isWhitespace(c) || c == ',' || "{}[]()\";".indexOf(c) >= 0) {
                break;
            }
            pos++;
        }
        if (start == pos) {
            throw error("expected a value");
        }
        return text.substring(start, pos);
    }

    private Object atom(String t) {
        switch (t) {
            case "nil":
                return null;
            case "true":
                return Boolean.TRUE;
            case "false":
                return Boolean.FALSE;
            default:
                break;
        }
        char c = t.charAt(0);
        if (Character.isDigit(c) || ((c == '-' || c == '+') && t.length() > 1 && Character.isDigit(t.charAt(1)))) {
            String n = t.endsWith("N") || t.endsWith("M") ? t.substring(0, t.length() - 1) : t;
            try {
                if (n.contains(".") || n.contains("e") || n.contains("E")) {
                    return Double.parseDouble(n);
                }
                return Long.parseLong(n);
            } catch (NumberFormatException e) {
                throw error("bad number '" + t + "'");
            }
        }
        return t; // a symbol: keep its text
    }
}
