package dev.linden.checker.history;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

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
                History fast = EdnHistory.parseFlat(name, r);
                if (fast != null) {
                    return fast;
                }
            }
            // Streamed: one form at a time, never the whole file as one string.
            try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                return EdnHistory.parse(name, r);
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
        }
        if (f == HistoryFormat.JSON) {
            try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                return JsonHistory.parse(name, r);
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
            case JSON -> JsonHistory.parse(name, new StringReader(text));
            case EDN -> {
                History fast;
                try {
                    fast = EdnHistory.parseFlat(name, new BufferedReader(new StringReader(text)));
                } catch (IOException e) {
                    throw new UncheckedIOException(e); // a string reader does not fail
                }
                yield fast != null ? fast : EdnHistory.parse(name, new StringReader(text));
            }
            case JEPSEN_LOG -> JepsenLogHistory.parse(name, text);
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

    /** The general EDN path alone (tests compare it with the fast path). */
    static History parseEdnGeneral(String name, String text) throws MalformedHistoryException {
        return EdnHistory.parse(name, new StringReader(text));
    }
}
