package dev.linden.cli;

import dev.linden.kvnode.server.TestOnlyBug;
import dev.linden.realenv.LocalNodeSettings;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The options of a test on node processes ({@code --env local} or {@code docker}) that say how every node reads and
 * snapshots (a mixin of {@link TestOptions}). Unset, they are drawn from the seed ({@link LocalNodeSettings#draw});
 * a replay command always says them.
 */
final class LocalRunOptions {
    @Option(
            names = "--read-mode",
            description = "with --env local or docker: read-index or lease on every node (default: drawn from the "
                    + "seed, lease one run in three)")
    String readMode;

    @Option(
            names = "--snapshot-count",
            description = "with --env local or docker: entries between snapshots on every node (default: drawn "
                    + "from the seed, 100 to 1099; 0: the node's own, 500000)")
    Long snapshotCount;

    @Option(
            names = "--snapshot-catchup-entries",
            description = "with --env local or docker: entries kept behind a snapshot on every node (default: "
                    + "drawn with --snapshot-count, or the node's own, a fifth of it, when that is given)")
    Long snapshotCatchupEntries;

    @Option(
            names = "--lose-unsynced-writes",
            arity = "1",
            paramLabel = "true|false",
            description = "with --env local or docker: every node keeps its writes in its process until an fsync "
                    + "covers them, so a kill loses them as a power cut would, as the simulator's kill does "
                    + "(Jepsen's LazyFS does this below the file system); default true")
    Boolean loseUnsyncedWrites;

    @Option(
            names = "--power-cut-kills",
            arity = "1",
            paramLabel = "true|false",
            description = "with --env local and --lose-unsynced-writes: every kill is a power cut in the targets' "
                    + "next fsync, as kill :during fsync is (an idle node is killed after 2 s); default false")
    Boolean powerCutKills;

    /** Checks the options; returns an error message or null. */
    String validate(String env) {
        boolean given = readMode != null
                || snapshotCount != null
                || snapshotCatchupEntries != null
                || loseUnsyncedWrites != null
                || powerCutKills != null;
        if (given && env.equals("sim")) {
            return "--read-mode, --snapshot-*, --lose-unsynced-writes and --power-cut-kills are for --env local or "
                    + "docker (the simulator draws its own)";
        }
        if (Boolean.TRUE.equals(powerCutKills) && Boolean.FALSE.equals(loseUnsyncedWrites)) {
            return "--power-cut-kills needs --lose-unsynced-writes true";
        }
        if (readMode != null && !readMode.equals("read-index") && !readMode.equals("lease")) {
            return "--read-mode is read-index or lease";
        }
        if ((snapshotCount != null && snapshotCount < 0)
                || (snapshotCatchupEntries != null && snapshotCatchupEntries < 0)) {
            return "--snapshot-count and --snapshot-catchup-entries must be >= 0";
        }
        return null;
    }

    /** What this run's nodes use: as given, the rest drawn from the seed; lease reads for a lease bug. */
    LocalNodeSettings settings(long seed, String bug) {
        LocalNodeSettings s = LocalNodeSettings.draw(seed);
        if (readMode != null) {
            s = s.withReadMode(readMode);
        }
        if (bug.equals(TestOnlyBug.LEASE_WITHOUT_DRIFT_BOUND.cliName())) {
            s = s.withReadMode("lease"); // the bug is in how long a lease lasts (the node would force it too)
        }
        if (snapshotCount != null) {
            s = s.withSnapshots(snapshotCount, snapshotCatchupEntries != null ? snapshotCatchupEntries : -1);
        } else if (snapshotCatchupEntries != null) {
            s = s.withSnapshots(s.snapshotCount(), snapshotCatchupEntries);
        }
        if (loseUnsyncedWrites != null) {
            s = s.withLoseUnsyncedWrites(loseUnsyncedWrites);
        }
        if (powerCutKills != null) {
            s = s.withPowerCutKills(powerCutKills);
        }
        return s;
    }

    /** The options that give exactly {@code s} again. */
    static List<String> replayArgs(LocalNodeSettings s) {
        List<String> a = new ArrayList<>(
                List.of("--read-mode", s.readMode(), "--snapshot-count", String.valueOf(s.snapshotCount())));
        if (s.snapshotCatchupEntries() >= 0) {
            a.addAll(List.of("--snapshot-catchup-entries", String.valueOf(s.snapshotCatchupEntries())));
        }
        a.addAll(List.of("--lose-unsynced-writes", String.valueOf(s.loseUnsyncedWrites())));
        if (s.powerCutKills()) {
            a.addAll(List.of("--power-cut-kills", "true"));
        }
        return a;
    }

    /** Why {@code bug} cannot run on node processes, or null if it can. */
    static String processBugRefusal(String bug) {
        String why = ProcessCanaries.whyNotOnProcesses(bug);
        if (bug.equals("none") || TestOnlyBug.byName(bug) != null || why == null) {
            return null; // a sound cluster, a bug a process runs, or no bug at all (said elsewhere)
        }
        return "--bug " + bug + " cannot run on node processes (" + why + "); there: "
                + String.join(
                        ", ",
                        Arrays.stream(TestOnlyBug.values())
                                .map(TestOnlyBug::cliName)
                                .toList());
    }
}
