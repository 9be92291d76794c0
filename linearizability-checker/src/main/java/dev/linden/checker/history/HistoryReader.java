package dev.linden.checker.history;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads histories in JSON, EDN and the Jepsen console-log format. Every error names the file and line.
 *
 * <p>Op fields, in every format: {@code process} (integer; ops of other processes such as
 * {@code :nemesis} are skipped), {@code type} (invoke/ok/fail/info), {@code f}, optional {@code key},
 * {@code value}, optional {@code time} (nanoseconds; the line order is used when absent) and
 * {@code index}.
 */
public final class HistoryReader {
    /** Histories larger than this are refused rather than read into memory. */
    public static final long MAX_FILE_BYTES = 1L << 30;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern JEPSEN_LINE =
            Pattern.compile("^INFO\\s+jepsen\\.util\\s+-\\s+(\\S+)\\s+:(\\S+)\\s+:(\\S+)(?:\\s+(.*?))?\\s*$");

    private HistoryReader() {}

    public static History read(Path file, HistoryFormat format) throws IOException, MalformedHistoryException {
        String name = file.toString();
        if (Files.size(file) > MAX_FILE_BYTES) {
            throw new MalformedHistoryException(name, 0, "file larger than " + MAX_FILE_BYTES + " bytes");
        }
        HistoryFormat f = format;
        if (f == null) {
            char[] head = new char[4096];
            int n;
            try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                n = Math.max(0, r.read(head));
            } catch (MalformedInputException e) {
                throw new MalformedHistoryException(name, 0, "not UTF-8 text");
            }
            f = detect(file, new String(head, 0, n));
        }
        if (f == HistoryFormat.EDN) {
            try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                History fast = parseFlatEdn(name, r);
                if (fast != null) {
                    return fast;
                }
            }
            // Streamed: one form at a time, never the whole file as one string.
            try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                return parseEdn(name, r);
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
        }
        if (f == HistoryFormat.JSON) {
            try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                return parseJson(name, r);
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
        }
        String text = Files.readString(file, StandardCharsets.UTF_8);
        return parse(name, text, f);
    }

    /**
     * Parses a history. A history with no client operation (none at all, or only nemesis operations) is a
     * history of zero operations, which is linearizable; only a Jepsen console log in which no line is an
     * operation at all is refused, since that means the format is wrong.
     */
    public static History parse(String name, String text, HistoryFormat format) throws MalformedHistoryException {
        return switch (format) {
            case JSON -> parseJson(name, new StringReader(text));
            case EDN -> {
                History fast;
                try {
                    fast = parseFlatEdn(name, new BufferedReader(new StringReader(text)));
                } catch (IOException e) {
                    throw new UncheckedIOException(e); // a string reader does not fail
                }
                yield fast != null ? fast : parseEdn(name, new StringReader(text));
            }
            case JEPSEN_LOG -> parseJepsenLog(name, text);
        };
    }

    /** Guesses the format from the extension, then from the first non-blank character. */
    public static HistoryFormat detect(Path file, String text) {
        String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (n.endsWith(".json") || n.endsWith(".jsonl")) {
            return HistoryFormat.JSON;
        }
        if (n.endsWith(".edn")) {
            return HistoryFormat.EDN;
        }
        String t = text.stripLeading();
        if (t.startsWith("INFO") || n.endsWith(".log")) {
            return HistoryFormat.JEPSEN_LOG;
        }
        int probe = Math.min(t.length(), 200);
        String head = t.substring(0, probe);
        if (head.contains(":type") || head.contains(":process") || head.startsWith("#")) {
            return HistoryFormat.EDN;
        }
        return HistoryFormat.JSON;
    }

    // ------------------------------------------------------------------ JSON

    /**
     * JSON in one streaming pass: a top-level array of op objects, or one op object per line (JSON lines).
     * Each op is read as a small tree, turned into an event and dropped; the file is never one string.
     */
    private static History parseJson(String name, Reader reader) throws MalformedHistoryException {
        List<Event> events = new ArrayList<>();
        try (JsonParser p = JSON.getFactory().createParser(reader)) {
            JsonToken t = p.nextToken();
            if (t == null) {
                return new History(name, events);
            }
            boolean array = t == JsonToken.START_ARRAY;
            if (array) {
                t = p.nextToken();
            }
            while (t != null && t != JsonToken.END_ARRAY) {
                int line = p.currentLocation().getLineNr();
                JsonNode op = JSON.readTree(p);
                addJsonOp(name, line, op, events);
                t = p.nextToken();
            }
            if (array && t == JsonToken.END_ARRAY && p.nextToken() != null) {
                throw new MalformedHistoryException(
                        name, p.currentLocation().getLineNr(), "after the history's array, found more JSON");
            }
        } catch (JsonProcessingException e) {
            throw new MalformedHistoryException(
                    name,
                    e.getLocation() == null ? 0 : e.getLocation().getLineNr(),
                    "bad JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new History(name, Independent.unwrap(withTimes(events)));
    }

    private static void addJsonOp(String name, int line, JsonNode op, List<Event> events)
            throws MalformedHistoryException {
        if (!op.isObject()) {
            throw new MalformedHistoryException(name, line, "expected an op object, got " + op.getNodeType());
        }
        JsonNode process = op.get("process");
        if (process == null || !process.canConvertToLong()) {
            if (process != null && process.isTextual()) {
                return; // nemesis and other non-client processes
            }
            throw new MalformedHistoryException(name, line, "op needs an integer \"process\"");
        }
        OpType type = opType(name, line, op.path("type").asText(null));
        String f = text(op.get("f"));
        if (f == null) {
            throw new MalformedHistoryException(name, line, "op needs \"f\"");
        }
        JsonNode key = op.get("key");
        long time = op.has("time") && op.get("time").canConvertToLong()
                ? op.get("time").asLong()
                : -1;
        events.add(new Event(
                events.size(),
                process.asLong(),
                type,
                f,
                key == null || key.isNull() ? null : key.asText(),
                jsonValue(op.get("value")),
                time));
    }

    private static String text(JsonNode n) {
        if (n == null || n.isNull()) {
            return null;
        }
        String s = n.asText();
        return s.startsWith(":") ? s.substring(1) : s;
    }

    private static Object jsonValue(JsonNode n) {
        if (n == null || n.isNull()) {
            return null;
        }
        if (n.isIntegralNumber()) {
            return n.asLong();
        }
        if (n.isNumber()) {
            return n.asDouble();
        }
        if (n.isBoolean()) {
            return n.asBoolean();
        }
        if (n.isArray()) {
            List<Object> out = new ArrayList<>();
            for (Iterator<JsonNode> it = n.elements(); it.hasNext(); ) {
                out.add(jsonValue(it.next()));
            }
            return Collections.unmodifiableList(out);
        }
        return n.asText();
    }

    private static OpType opType(String name, int line, String s) throws MalformedHistoryException {
        if (s == null) {
            throw new MalformedHistoryException(name, line, "op needs \"type\"");
        }
        try {
            return OpType.parse(s.startsWith(":") ? s.substring(1) : s);
        } catch (IllegalArgumentException e) {
            throw new MalformedHistoryException(name, line, e.getMessage());
        }
    }

    // ------------------------------------------------------------------ EDN

    /**
     * EDN in any of the shapes Jepsen's tools have written: one op map per line (history.edn), any number
     * of op maps as top-level forms, or one vector or list holding them all; tagged op maps
     * ({@code #jepsen.history.Op{...}}) read as maps; comments and {@code #_} discards anywhere.
     */
    private static History parseEdn(String name, Reader reader) throws MalformedHistoryException {
        List<Event> events = new ArrayList<>();
        try (Edn.Forms forms = new Edn.Forms(reader)) {
            Object first = next(name, forms);
            if (first == Edn.Forms.END) {
                return new History(name, events);
            }
            int firstLine = forms.line();
            if (first instanceof List<?> all && (all.isEmpty() || Edn.untagged(all.get(0)) instanceof Map)) {
                Object second = next(name, forms);
                if (second != Edn.Forms.END) {
                    throw new MalformedHistoryException(
                            name, forms.line(), "after a whole-history vector or list, " + "found another form");
                }
                int i = 0;
                for (Object op : all) {
                    i++;
                    addEdnOp(name, firstLine, "op " + i + ": ", op, events);
                }
            } else {
                addEdnOp(name, firstLine, "", first, events);
                for (Object op = next(name, forms); op != Edn.Forms.END; op = next(name, forms)) {
                    addEdnOp(name, forms.line(), "", op, events);
                }
            }
        }
        return new History(name, Independent.unwrap(withTimes(events)));
    }

    /**
     * The fast path ({@link FastEdnLine}): a file of flat op maps, one per line. Returns null at the first
     * line of any other shape, and the caller reads the file with the general parser instead, which
     * decides everything the same way and gives the errors.
     */
    private static History parseFlatEdn(String name, BufferedReader in) throws IOException {
        List<Event> events = new ArrayList<>();
        FastEdnLine.Names names = new FastEdnLine.Names();
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            FastEdnLine.Op op = FastEdnLine.parse(line, names);
            if (op == null) {
                return null;
            }
            if (op == FastEdnLine.NOTHING || op.process() == null) {
                continue; // blank, comment, or a nemesis op
            }
            OpType type;
            try {
                type = OpType.parse(op.type());
            } catch (IllegalArgumentException e) {
                return null;
            }
            events.add(new Event(events.size(), op.process(), type, op.f(), op.key(), op.value(), op.time()));
        }
        return new History(name, Independent.unwrap(withTimes(events)));
    }

    /** The general EDN path alone (tests compare it with the fast path). */
    static History parseEdnGeneral(String name, String text) throws MalformedHistoryException {
        return parseEdn(name, new StringReader(text));
    }

    private static Object next(String name, Edn.Forms forms) throws MalformedHistoryException {
        try {
            return forms.nextRaw();
        } catch (IllegalArgumentException e) {
            throw new MalformedHistoryException(name, forms.line(), "bad EDN: " + e.getMessage());
        }
    }

    private static final us.bpsm.edn.Keyword PROCESS = us.bpsm.edn.Keyword.newKeyword("process");
    private static final us.bpsm.edn.Keyword TYPE = us.bpsm.edn.Keyword.newKeyword("type");
    private static final us.bpsm.edn.Keyword F = us.bpsm.edn.Keyword.newKeyword("f");
    private static final us.bpsm.edn.Keyword KEY = us.bpsm.edn.Keyword.newKeyword("key");
    private static final us.bpsm.edn.Keyword VALUE = us.bpsm.edn.Keyword.newKeyword("value");
    private static final us.bpsm.edn.Keyword TIME = us.bpsm.edn.Keyword.newKeyword("time");

    /** One op map as edn-java read it: only the fields a history needs are converted. */
    private static void addEdnOp(String name, int line, String where, Object raw, List<Event> events)
            throws MalformedHistoryException {
        if (!(Edn.untagged(raw) instanceof Map<?, ?> m)) {
            throw new MalformedHistoryException(
                    name, line, where + "expected an op map, got " + Values.show(Edn.convert(raw)));
        }
        Object process = m.get(PROCESS);
        if (!(process instanceof Long p)) {
            if (process instanceof us.bpsm.edn.Keyword || process instanceof String) {
                return; // :nemesis and other processes that are not clients
            }
            throw new MalformedHistoryException(
                    name, line, where + "op needs an integer :process, got " + Values.show(Edn.convert(process)));
        }
        Object type = m.get(TYPE);
        OpType opType = opType(name, line, type == null ? null : rawText(type));
        Object f = m.get(F);
        if (f == null) {
            throw new MalformedHistoryException(name, line, where + "op needs :f");
        }
        Object key = m.get(KEY);
        Object time = m.get(TIME);
        events.add(new Event(
                events.size(),
                p,
                opType,
                rawText(f),
                key == null ? null : rawText(key),
                rawValue(m.get(VALUE), 0),
                time instanceof Long tl ? tl : -1));
    }

    /** A keyword's name (namespace included), or any other scalar as text. */
    private static String rawText(Object o) {
        if (o instanceof us.bpsm.edn.Keyword k) {
            return k.getPrefix().isEmpty() ? k.getName() : k.getPrefix() + "/" + k.getName();
        }
        return String.valueOf(Edn.convert(o));
    }

    /**
     * An op's value in the history's vocabulary, in one pass over what edn-java built: keywords as
     * {@code ":name"} strings, vectors and lists as immutable Lists, sets as Sets; see {@link Edn} for the rest.
     */
    private static Object rawValue(Object v, int depth) {
        if (v == null || v instanceof Long || v instanceof String || v instanceof Boolean || v instanceof Double) {
            return v;
        }
        if (depth > Edn.MAX_DEPTH) {
            throw new IllegalArgumentException("value nested deeper than " + Edn.MAX_DEPTH);
        }
        if (v instanceof us.bpsm.edn.Keyword) {
            return ":" + rawText(v);
        }
        if (v instanceof List<?> l) {
            Object[] out = new Object[l.size()];
            int i = 0;
            for (Object o : l) {
                out[i++] = rawValue(o, depth + 1);
            }
            return Collections.unmodifiableList(Arrays.asList(out));
        }
        if (v instanceof Set<?> set) {
            List<Object> out = new ArrayList<>(set.size());
            for (Object o : set) {
                Object c = rawValue(o, depth + 1);
                if (c != null) {
                    out.add(c);
                }
            }
            return Set.copyOf(out);
        }
        if (v instanceof us.bpsm.edn.TaggedValue t) {
            return rawValue(t.getValue(), depth + 1);
        }
        return Values.normalize(Edn.convert(v));
    }

    /**
     * Times as recorded when every op has one and they never go back; otherwise (histories of an era
     * without {@code :time}, or mixed units) the order of the history itself, which Jepsen writes in real
     * time order.
     */
    private static List<Event> withTimes(List<Event> events) {
        long last = Long.MIN_VALUE;
        boolean usable = true;
        for (Event e : events) {
            if (e.timeNanos() < 0 || e.timeNanos() < last) {
                usable = false;
                break;
            }
            last = e.timeNanos();
        }
        if (usable) {
            return events;
        }
        List<Event> out = new ArrayList<>(events.size());
        for (Event e : events) {
            out.add(new Event(e.index(), e.process(), e.type(), e.f(), e.key(), e.value(), e.index() + 1));
        }
        return out;
    }

    private static String ednText(Object o) {
        return o instanceof Edn.Keyword k ? k.name() : String.valueOf(o);
    }

    private static Object ednValue(Object v) {
        if (v instanceof Edn.Keyword k) {
            return ":" + k.name();
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>();
            for (Object o : l) {
                out.add(ednValue(o));
            }
            return Collections.unmodifiableList(out);
        }
        if (v instanceof Set<?> s) {
            List<Object> out = new ArrayList<>();
            for (Object o : s) {
                out.add(ednValue(o));
            }
            return Set.copyOf(out.stream().filter(Objects::nonNull).toList());
        }
        return Values.normalize(v);
    }

    // ------------------------------------------------------------------ Jepsen console log

    /**
     * The Jepsen 2015 console log of a CAS register. Lines of the {@code jepsen.util} logger that name a
     * numeric process are operations; every other line (nemesis, checker output) is skipped. As the
     * corpus documents, {@code :fail :cas} means the compare failed (a definite observation), so it
     * becomes a completed CAS whose result is {@code false}; {@code :ok :cas} has result {@code true}.
     */
    private static History parseJepsenLog(String name, String text) throws MalformedHistoryException {
        List<Event> events = new ArrayList<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (line.isBlank()) {
                continue;
            }
            Matcher m = JEPSEN_LINE.matcher(line);
            if (!m.matches()) {
                if (line.startsWith("INFO") && line.contains("jepsen.util") && !line.contains(":nemesis")) {
                    throw new MalformedHistoryException(name, i + 1, "unrecognised operation line: " + line.strip());
                }
                continue;
            }
            long process;
            try {
                process = Long.parseLong(m.group(1));
            } catch (NumberFormatException e) {
                continue; // :nemesis lines
            }
            OpType type = opType(name, i + 1, m.group(2));
            String f = m.group(3);
            Object value;
            try {
                List<Object> vals = m.group(4) == null ? List.of() : Edn.parseAll(m.group(4));
                value = vals.isEmpty() ? null : ednValue(vals.get(0));
            } catch (IllegalArgumentException e) {
                throw new MalformedHistoryException(name, i + 1, "bad value: " + e.getMessage());
            }
            if (f.equals("cas") && type == OpType.OK) {
                value = Boolean.TRUE;
            } else if (f.equals("cas") && type == OpType.FAIL) {
                type = OpType.OK;
                value = Boolean.FALSE;
            }
            events.add(new Event(events.size(), process, type, f, null, value, i + 1));
        }
        if (events.isEmpty() && !text.contains("jepsen.util")) {
            throw new MalformedHistoryException(name, 0, "no operation lines found (is --format right?)");
        }
        return new History(name, events);
    }
}
