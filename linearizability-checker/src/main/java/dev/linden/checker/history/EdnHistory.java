package dev.linden.checker.history;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import us.bpsm.edn.Keyword;
import us.bpsm.edn.TaggedValue;

/** Histories in EDN, for {@link HistoryReader}: a fast path for flat op maps, and the general parser. */
final class EdnHistory {
    private EdnHistory() {}

    /**
     * EDN in any of the shapes Jepsen's tools have written: one op map per line (history.edn), any number
     * of op maps as top-level forms, or one vector or list holding them all; tagged op maps
     * ({@code #jepsen.history.Op{...}}) read as maps; comments and {@code #_} discards anywhere.
     */
    static History parse(String name, Reader reader) throws MalformedHistoryException {
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
        return new History(name, Independent.unwrap(Events.withTimes(events)));
    }

    /**
     * The fast path ({@link FastEdnLine}): a file of flat op maps, one per line. Returns null at the first
     * line of any other shape, and the caller reads the file with the general parser instead, which
     * decides everything the same way and gives the errors.
     */
    static History parseFlat(String name, BufferedReader in) throws IOException {
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
        return new History(name, Independent.unwrap(Events.withTimes(events)));
    }

    private static Object next(String name, Edn.Forms forms) throws MalformedHistoryException {
        try {
            return forms.nextRaw();
        } catch (IllegalArgumentException e) {
            throw new MalformedHistoryException(name, forms.line(), "bad EDN: " + e.getMessage());
        }
    }

    private static final Keyword PROCESS = Keyword.newKeyword("process");
    private static final Keyword TYPE = Keyword.newKeyword("type");
    private static final Keyword F = Keyword.newKeyword("f");
    private static final Keyword KEY = Keyword.newKeyword("key");
    private static final Keyword VALUE = Keyword.newKeyword("value");
    private static final Keyword TIME = Keyword.newKeyword("time");

    /** One op map as edn-java read it: only the fields a history needs are converted. */
    private static void addEdnOp(String name, int line, String where, Object raw, List<Event> events)
            throws MalformedHistoryException {
        if (!(Edn.untagged(raw) instanceof Map<?, ?> m)) {
            throw new MalformedHistoryException(
                    name, line, where + "expected an op map, got " + Values.show(Edn.convert(raw)));
        }
        Object process = m.get(PROCESS);
        if (!(process instanceof Long p)) {
            if (process instanceof Keyword || process instanceof String) {
                return; // :nemesis and other processes that are not clients
            }
            throw new MalformedHistoryException(
                    name, line, where + "op needs an integer :process, got " + Values.show(Edn.convert(process)));
        }
        Object type = m.get(TYPE);
        OpType opType = Events.opType(name, line, type == null ? null : rawText(type));
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
        if (o instanceof Keyword k) {
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
        if (v instanceof Keyword) {
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
        if (v instanceof TaggedValue t) {
            return rawValue(t.getValue(), depth + 1);
        }
        return Values.normalize(Edn.convert(v));
    }
}
