package dev.linden.checker.history;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;

/** Histories in JSON, for {@link HistoryReader}. */
final class JsonHistory {
    private static final ObjectMapper JSON = new ObjectMapper();

    private JsonHistory() {}

    /**
     * JSON in one streaming pass: a top-level array of op objects, or one op object per line (JSON lines).
     * Each op is read as a small tree, turned into an event and dropped; the file is never one string.
     */
    static History parse(String name, Reader reader) throws MalformedHistoryException {
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
        return new History(name, Independent.unwrap(Events.withTimes(events)));
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
        OpType type = Events.opType(name, line, op.path("type").asText(null));
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
}
