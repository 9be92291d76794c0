package dev.linden.kvnode.server;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.logging.ConsoleHandler;
import java.util.logging.FileHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** The node process's logging: java.util.logging, one line per record, to stdout and node.log. */
final class NodeLogging {
    private NodeLogging() {}

    /** One line per record, to stdout and to {@code file} (one generation of at most 64 MiB). */
    static void setUp(Path file) throws IOException {
        Logger root = Logger.getLogger("");
        for (Handler h : root.getHandlers()) {
            root.removeHandler(h);
        }
        Formatter oneLine = new Formatter() {
            @Override
            public String format(LogRecord r) {
                String msg = Instant.ofEpochMilli(r.getMillis()) + " " + r.getLevel() + " "
                        + r.getLoggerName().replaceAll(".*\\.", "") + ": " + formatMessage(r) + "\n";
                if (r.getThrown() != null) {
                    StringWriter w = new StringWriter();
                    r.getThrown().printStackTrace(new PrintWriter(w));
                    msg += w;
                }
                return msg;
            }
        };
        ConsoleHandler console = new ConsoleHandler() {
            {
                setOutputStream(System.out);
            }
        };
        console.setFormatter(oneLine);
        // One generation: the file is exactly node.log (JUL appends ".0" to the name when it keeps several).
        FileHandler fileHandler = new FileHandler(file.toString(), 64 << 20, 1, true);
        fileHandler.setFormatter(oneLine);
        root.addHandler(console);
        root.addHandler(fileHandler);
        root.setLevel(Level.INFO);
        Logger.getLogger("io.netty").setLevel(Level.WARNING);
    }
}
