package dev.linden.checker.history;

/** Bad input: names the file and line so a person can find it. */
public final class MalformedHistoryException extends Exception {
    private final String file;
    private final int line;

    public MalformedHistoryException(String file, int line, String message) {
        super(file + (line > 0 ? ":" + line : "") + ": " + message);
        this.file = file;
        this.line = line;
    }

    public String file() {
        return file;
    }

    public int line() {
        return line;
    }
}
