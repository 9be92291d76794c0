package dev.linden.checker.history;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
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
    private static final Pattern JEPSEN_LINE = Pattern.compile(
            "^INFO\\s+jepsen\\.util\\s+-\\s+(\\S+)\\s+:(\\S+)\\s+:(\\S+)(?:\\s+(.*?))?\\s*$");

    private HistoryReader() {}

    public static History read(Path file, HistoryFormat format) throws IOException, MalformedHistoryException {
        String name = file.toString();
        if (Files.size(file) > MAX_FILE_BYTES) {
            throw new MalformedHistoryException(name, 0, "file larger than " + MAX_FILE_BYTES + " bytes");
        }
        String text = Files.readString(file, StandardCharsets.UTF_8);
        return parse(name, text, format == null ? detect(file, text) : format);
    }

    public static History parse(String name, String text, HistoryFormat format) throws MalformedHistoryException {
        History h = switch (format) {
            case JSON -> parseJson(name, text);
            case EDN -> parseEdn(name, text);
            case JEPSEN_LOG -> parseJepsenLog(name, text);
        };
        if (h.events().isEmpty()) {
            throw new MalformedHistoryException(name, 0, "no operations found (is --format right?)");
        }
        return h;
    }

    /** Guesses the format from the extension, then from the first non-blank character. */
    public static HistoryFormat detect(Path file, String text) {
        String n = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
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

    private static History parseJson(String name, String text) throws MalformedHistoryException {
        List<Event> events = new ArrayList<>();
        String t = text.stripLeading();
        if (t.startsWith("[")) {
            JsonNode root;
            try {
                root = JSON.readTree(text);
            } catch (JsonProcessingException e) {
                throw new MalformedHistoryException(name, e.getLocation() == null ? 0 : e.getLocation().getLineNr(),
                        "bad JSON: " + e.getOriginalMessage());
            }
            int i = 0;
            for (JsonNode op : root) {
                i++;
                addJsonOp(name, i, op, events);
            }
        } else {
            String[] lines = text.split("\n", -1);
            for (int i = 0; i < lines.length; i++) {
                String line = lines[i].strip();
                if (line.isEmpty()) {
                    continue;
                }
                JsonNode op;
                try {
                    op = JSON.readTree(line);
                } catch (JsonProcessingException e) {
                    throw new MalformedHistoryException(name, i + 1, "bad JSON: " + e.getOriginalMessage());
                }
                addJsonOp(name, i + 1, op, events);
            }
        }
        return new History(name, events);
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
        long time = op.has("time") ? op.get("time").asLong() : line;
        events.add(new Event(events.size(), process.asLong(), type, f,
                key == null || key.isNull() ? null : key.asText(), jsonValue(op.get("value")), time));
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
            return java.util.Collections.unmodifiableList(out);
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

    private static History parseEdn(String name, String text) throws MalformedHistoryException {
        List<Event> events = new ArrayList<>();
        String t = text.stripLeading();
        if (t.startsWith("[")) {
            List<Object> all;
            try {
                all = Edn.parseAll(text);
            } catch (IllegalArgumentException e) {
                throw new MalformedHistoryException(name, 0, "bad EDN: " + e.getMessage());
            }
            if (all.size() != 1 || !(all.get(0) instanceof List<?> ops)) {
                throw new MalformedHistoryException(name, 0, "expected one vector of op maps");
            }
            int i = 0;
            for (Object op : ops) {
                addEdnOp(name, ++i, op, events);
            }
        } else {
            String[] lines = text.split("\n", -1);
            for (int i = 0; i < lines.length; i++) {
                String line = lines[i].strip();
                if (line.isEmpty() || line.startsWith(";")) {
                    continue;
                }
                List<Object> vals;
                try {
                    vals = Edn.parseAll(line);
                } catch (IllegalArgumentException e) {
                    throw new MalformedHistoryException(name, i + 1, "bad EDN: " + e.getMessage());
                }
                for (Object op : vals) {
                    addEdnOp(name, i + 1, op, events);
                }
            }
        }
        return new History(name, events);
    }

    private static void addEdnOp(String name, int line, Object op, List<Event> events) throws MalformedHistoryException {
        if (!(op instanceof Map<?, ?> m)) {
            throw new MalformedHistoryException(name, line, "expected an op map, got " + op);
        }
        Object process = m.get(new Edn.Keyword("process"));
        if (!(process instanceof Long p)) {
            if (process instanceof Edn.Keyword || process instanceof String) {
                return; // :nemesis and friends
            }
            throw new MalformedHistoryException(name, line, "op needs an integer :process");
        }
        Object type = m.get(new Edn.Keyword("type"));
        OpType opType = opType(name, line, type instanceof Edn.Keyword k ? k.name() : null);
        Object f = m.get(new Edn.Keyword("f"));
        if (f == null) {
            throw new MalformedHistoryException(name, line, "op needs :f");
        }
        Object key = m.get(new Edn.Keyword("key"));
        Object time = m.get(new Edn.Keyword("time"));
        events.add(new Event(events.size(), p, opType, f instanceof Edn.Keyword k ? k.name() : f.toString(),
                key == null ? null : ednText(key), ednValue(m.get(new Edn.Keyword("value"))),
                time instanceof Long tl ? tl : line));
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
            return java.util.Collections.unmodifiableList(out);
        }
        if (v instanceof java.util.Set<?> s) {
            List<Object> out = new ArrayList<>();
            for (Object o : s) {
                out.add(ednValue(o));
            }
            return java.util.Set.copyOf(out.stream().filter(java.util.Objects::nonNull).toList());
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
        return new History(name, events);
    }
}
