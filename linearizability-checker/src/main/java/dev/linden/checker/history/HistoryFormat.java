package dev.linden.checker.history;

/** The history file formats the checker reads. */
public enum HistoryFormat {
    /** A JSON array of op objects, or one JSON object per line. */
    JSON("json"),
    /** Jepsen/Knossos/Elle EDN: one op map per line, or a vector of maps. */
    EDN("edn"),
    /** The Jepsen console log of the reference corpus ({@code INFO jepsen.util - 3 :invoke :read nil}). */
    JEPSEN_LOG("jepsen-log");

    private final String cliName;

    HistoryFormat(String cliName) {
        this.cliName = cliName;
    }

    public String cliName() {
        return cliName;
    }

    public static HistoryFormat fromCliName(String name) {
        for (HistoryFormat f : values()) {
            if (f.cliName.equals(name)) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown format '" + name + "' (json, edn or jepsen-log)");
    }
}
