package dev.linden.checker.history;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.CharBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import us.bpsm.edn.EdnException;
import us.bpsm.edn.Symbol;
import us.bpsm.edn.Tag;
import us.bpsm.edn.TaggedValue;
import us.bpsm.edn.parser.Parseable;
import us.bpsm.edn.parser.Parser;
import us.bpsm.edn.parser.Parsers;

/**
 * EDN as Jepsen, Knossos and Elle write it, read with edn-java (the full specification: comments,
 * {@code #_} discards, lists, vectors, sets, maps with any keys, tagged literals, characters, strings with
 * escapes, big numbers, symbols, namespaced keywords), plus what Clojure prints beyond the
 * specification: ratios such as {@code 22/7}.
 *
 * <p>Values come out in the history's vocabulary: keywords as {@link Keyword} (namespace included, as
 * {@code ns/name}), symbols, characters, {@code #inst} and {@code #uuid} as strings, integers as Long
 * (BigInteger past 64 bits), decimals and ratios as Double, vectors and lists as immutable Lists, sets as
 * Sets, maps as Maps; a tagged literal of another tag reads as its value
 * ({@code #jepsen.history.Op{...}} is its map).
 *
 * <p>{@link Forms} reads top-level forms one at a time from a Reader, never holding the whole file, and
 * knows the line each came from: the parser is fed one line at a time, so its lookahead never passes the
 * current line.
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

    private static final Tag RATIO = Tag.newTag("linden", "ratio");
    private static final Parser PARSER = Parsers.newParser(Parsers.newParserConfigBuilder()
            .putTagHandler(RATIO, (tag, value) -> ratio((String) value))
            .build());

    private Edn() {}

    /** Parses every top-level value in {@code text}; IllegalArgumentException says what and where. */
    public static List<Object> parseAll(String text) {
        List<Object> out = new ArrayList<>();
        try (Forms forms = new Forms(new StringReader(text))) {
            for (Object v = forms.next(); v != Forms.END; v = forms.next()) {
                out.add(v);
            }
        }
        return out;
    }

    /** Top-level forms of a stream, each converted (see {@link Edn}), with the line it ended on. */
    public static final class Forms implements AutoCloseable {
        /** Returned by {@link #next()} at the end of the input. */
        public static final Object END = new Object();

        private final LineFeed feed;
        private final Parseable parseable;

        public Forms(Reader reader) {
            this.feed = new LineFeed(reader);
            this.parseable = Parsers.newParseable(feed);
        }

        /** The next form, or {@link #END}; IllegalArgumentException (with the line) if it is not EDN. */
        public Object next() {
            Object raw = nextRaw();
            return raw == END ? END : convert(raw, 0);
        }

        /**
         * The next form as edn-java built it (us.bpsm keywords, tagged values), or {@link #END}: for readers
         * that look at a few fields of a big map and convert only those ({@link Edn#convert(Object)}).
         */
        Object nextRaw() {
            Object raw;
            try {
                raw = PARSER.nextValue(parseable);
            } catch (EdnException e) {
                if (e.getCause() instanceof IOException io) {
                    throw new UncheckedIOException(io);
                }
                throw new IllegalArgumentException(message(e));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(message(e)); // a scanner's own bug must not escape as a crash
            } catch (StackOverflowError e) {
                throw new IllegalArgumentException("nested too deeply");
            }
            return raw == Parser.END_OF_INPUT ? END : raw;
        }

        /** The line the last form ended on (1-based). */
        public int line() {
            return feed.line;
        }

        @Override
        public void close() {
            try {
                feed.in.close();
            } catch (IOException e) {
                // nothing to lose on a reader we only read
            }
        }

        private static String message(Exception e) {
            String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            return m.replace("END_OF_INPUT", "the end of the input");
        }
    }

    /**
     * Hands the parser one line per read, rewriting ratios (outside strings and comments) to a tagged string
     * the parser knows. Tracks the line delivered last.
     */
    private static final class LineFeed implements Readable {
        final BufferedReader in;
        int line;
        private String pending = "";
        private int at;
        private boolean inString;

        LineFeed(Reader reader) {
            this.in = reader instanceof BufferedReader b ? b : new BufferedReader(reader, 1 << 16);
        }

        /** Whether the newline ending {@code pending} is still to be delivered. */
        private boolean newlineOwed;

        @Override
        public int read(CharBuffer cb) throws IOException {
            if (!cb.hasRemaining()) {
                return 0;
            }
            while (true) {
                if (at < pending.length()) {
                    int n = Math.min(cb.remaining(), pending.length() - at);
                    cb.put(pending, at, at + n);
                    at += n;
                    return n;
                }
                if (newlineOwed) {
                    newlineOwed = false;
                    cb.put('\n');
                    return 1;
                }
                // Never answer 0 for an empty line: a reader that reads nothing is taken for the end.
                String next = in.readLine();
                if (next == null) {
                    return -1;
                }
                line++;
                pending = rewriteRatios(next);
                at = 0;
                newlineOwed = true;
            }
        }

        /** {@code 22/7} becomes {@code #linden/ratio "22/7"}; strings, characters and comments are left alone. */
        private String rewriteRatios(String s) {
            if (s.indexOf('/') < 0 && !inString) {
                return s;
            }
            int i = 0;
            while (i < s.length()) {
                char c = s.charAt(i);
                if (inString) {
                    if (c == '\\') {
                        i++;
                    } else if (c == '"') {
                        inString = false;
                    }
                    i++;
                    continue;
                }
                if (c == '"') {
                    inString = true;
                    i++;
                } else if (c == ';') {
                    break; // a comment to the end of the line
                } else if (c == '\\') {
                    i += 2; // a character literal such as \/ or \;
                } else if ((Character.isDigit(c)
                                || ((c == '-' || c == '+') && i + 1 < s.length() && Character.isDigit(s.charAt(i + 1))))
                        && (i == 0 || delimiter(s.charAt(i - 1)))) {
                    int end = i + 1;
                    while (end < s.length() && !delimiter(s.charAt(end))) {
                        end++;
                    }
                    String token = s.substring(i, end);
                    if (token.matches("[+-]?\\d+/\\d+")) {
                        return rewriteFrom(s, i, end, token);
                    }
                    i = end;
                } else {
                    i++;
                }
            }
            return s;
        }

        private String rewriteFrom(String s, int start, int end, String token) {
            return s.substring(0, start) + "#linden/ratio \"" + token + "\"" + rewriteRatios(s.substring(end));
        }

        private static boolean delimiter(char c) {
            return Character.isWhitespace(c)
                    || c == ','
                    || c == '('
                    || c == ')'
                    || c == '['
                    || c == ']'
                    || c == '{'
                    || c == '}'
                    || c == '"'
                    || c == ';';
        }
    }

    private static Double ratio(String text) {
        int slash = text.indexOf('/');
        BigDecimal num = new BigDecimal(text.substring(0, slash));
        BigDecimal den = new BigDecimal(text.substring(slash + 1));
        if (den.signum() == 0) {
            throw new IllegalArgumentException("ratio " + text + " divides by zero");
        }
        return num.doubleValue() / den.doubleValue();
    }

    /** Converts a form from {@link Forms#nextRaw()} to the history's vocabulary. */
    static Object convert(Object v) {
        return convert(v, 0);
    }

    /** A raw form with its tags removed ({@code #jepsen.history.Op{...}} is its map). */
    static Object untagged(Object v) {
        Object out = v;
        for (int i = 0; out instanceof TaggedValue t && i < MAX_DEPTH; i++) {
            out = t.getValue();
        }
        return out;
    }

    private static Object convert(Object v, int depth) {
        if (depth > MAX_DEPTH) {
            throw new IllegalArgumentException("nested deeper than " + MAX_DEPTH);
        }
        if (v == null || v instanceof String || v instanceof Long || v instanceof Boolean || v instanceof Double) {
            return v;
        }
        if (v instanceof us.bpsm.edn.Keyword k) {
            return new Keyword(k.getPrefix().isEmpty() ? k.getName() : k.getPrefix() + "/" + k.getName());
        }
        if (v instanceof Symbol s) {
            return s.toString();
        }
        if (v instanceof BigInteger b) {
            return b.bitLength() < 64 ? (Object) b.longValue() : b;
        }
        if (v instanceof BigDecimal d) {
            return d.doubleValue();
        }
        if (v instanceof Number n) {
            return n.longValue();
        }
        if (v instanceof Character c) {
            return c.toString();
        }
        if (v instanceof Date d) {
            return d.toInstant().toString();
        }
        if (v instanceof UUID u) {
            return u.toString();
        }
        if (v instanceof TaggedValue t) {
            return convert(t.getValue(), depth + 1);
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            for (Object o : l) {
                out.add(convert(o, depth + 1));
            }
            return Collections.unmodifiableList(out);
        }
        if (v instanceof Set<?> s) {
            Set<Object> out = new LinkedHashSet<>();
            for (Object o : s) {
                out.add(convert(o, depth + 1));
            }
            return Collections.unmodifiableSet(out);
        }
        if (v instanceof Map<?, ?> m) {
            Map<Object, Object> out = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                out.put(convert(e.getKey(), depth + 1), convert(e.getValue(), depth + 1));
            }
            return Collections.unmodifiableMap(out);
        }
        return v.toString();
    }
}
