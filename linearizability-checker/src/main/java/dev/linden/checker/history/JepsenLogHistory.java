package dev.linden.checker.history;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Histories in the Jepsen console-log format, for {@link HistoryReader}. */
final class JepsenLogHistory {
    private static final Pattern JEPSEN_LINE =
            Pattern.compile("^INFO\\s+jepsen\\.util\\s+-\\s+(\\S+)\\s+:(\\S+)\\s+:(\\S+)(?:\\s+(.*?))?\\s*$");

    private JepsenLogHistory() {}

    /**
     * The Jepsen 2015 console log of a CAS register. Lines of the {@code jepsen.util} logger that name a
     * numeric process are operations; every other line (nemesis, checker output) is skipped. As the
     * corpus documents, {@code :fail :cas} means the compare failed (a definite observation), so it
     * becomes a completed CAS whose result is {@code false}; {@code :ok :cas} has result {@code true}.
     */
    static History parse(String name, String text) throws MalformedHistoryException {
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
            OpType type = Events.opType(name, i + 1, m.group(2));
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
}
