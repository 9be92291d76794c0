package dev.linden.sim;

/**
 * How a simulated cluster is built, beyond what the test says (nodes, seed): the deliberately broken
 * variants that show the harness catches what it should. None is on by default.
 *
 * @param unsafeLocalReads  leaders answer reads from local state, without ReadIndex (stale reads)
 * @param fsyncLies         fsync reports durability it does not provide (acknowledged writes lost on crash)
 * @param forceEmptyRejoin  a node whose disk was replaced is started as a new member, as an operator forcing
 *                          it back would, so it votes with no memory of its log
 */
public record SimOptions(boolean unsafeLocalReads, boolean fsyncLies, boolean forceEmptyRejoin) {
    public static SimOptions defaults() {
        return new SimOptions(false, false, false);
    }

    /** The variant a {@code --bug} name selects: unsafe-reads, fsync-lies, empty-rejoin (or none). */
    public static SimOptions withBug(String bug) {
        switch (bug) {
            case "none":
                return defaults();
            case "unsafe-reads":
                return new SimOptions(true, false, false);
            case "fsync-lies":
                return new SimOptions(false, true, false);
            case "empty-rejoin":
                return new SimOptions(false, false, true);
            default:
                throw new IllegalArgumentException("unknown bug '" + bug + "' (none, unsafe-reads, fsync-lies, empty-rejoin)");
        }
    }

    public String bugName() {
        return unsafeLocalReads ? "unsafe-reads" : fsyncLies ? "fsync-lies" : forceEmptyRejoin ? "empty-rejoin" : "none";
    }
}
