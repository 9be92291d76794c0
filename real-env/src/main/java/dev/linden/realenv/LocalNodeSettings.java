package dev.linden.realenv;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * How a test's node processes read and snapshot, passed to every node as its command line says it
 * ({@code --read-mode}, {@code --snapshot-count}, {@code --snapshot-catchup-entries}). The production defaults
 * (ReadIndex, a snapshot every 500,000 entries) never snapshot in a minute's run and never serve a lease read,
 * so a test draws its own from the seed ({@link #draw}), as the simulator does: lease reads on a third of the
 * runs, and a snapshot every few hundred entries with a short catch-up window behind it, so nodes snapshot
 * many times a run and a node killed or cut off for a second or two catches up by InstallSnapshot.
 *
 * @param readMode               {@code read-index} or {@code lease}
 * @param snapshotCount          entries between snapshots; 0: the node's default
 * @param snapshotCatchupEntries entries kept behind a snapshot; -1: the node's default
 * @param loseUnsyncedWrites     every node keeps its writes in its process until an fsync covers them
 *                               ({@code --test-only-lose-unsynced-writes}), so a kill loses what a power cut
 *                               would, as the simulator's kill does; a test's nodes do by default
 * @param powerCutKills          every kill is a power cut in the targets' next fsync, as {@code kill :during
 *                               "fsync"} is (with {@code loseUnsyncedWrites} only): a busy node dies at once, its
 *                               event stream written out, so what it counted on unsynced writes is on record
 */
public record LocalNodeSettings(
        String readMode,
        long snapshotCount,
        long snapshotCatchupEntries,
        boolean loseUnsyncedWrites,
        boolean powerCutKills) {
    /** Fewest and most entries between snapshots a test draws. */
    static final long MIN_SNAPSHOT_COUNT = 100;

    static final long MAX_SNAPSHOT_COUNT = 1_100;

    /**
     * The lease drift bound a test's lease-reading nodes get ({@code --lease-drift-bound-ms}): the harness's worst
     * clock skew (a leader's clock at half speed, its voters' at one and a half: {@code clock}, {@code
     * stale-leader}) is beyond the node's default (30 % of the election timeout). With the default 1 s election
     * timeout and 10 ms ticks a lease then lasts 240 ms of the leader's clock, 480 ms of real time at half speed,
     * while a voter's election timeout, 1 s of its clock, is 667 ms at one and a half; the default's 690 ms lease
     * would last 1,380 ms, and a stale leader would serve stale reads from it.
     */
    public static final long TEST_LEASE_DRIFT_BOUND_MILLIS = 750;

    public LocalNodeSettings {
        if (!readMode.equals("read-index") && !readMode.equals("lease")) {
            throw new IllegalArgumentException("read mode is read-index or lease, not " + readMode);
        }
        if (snapshotCount < 0 || snapshotCatchupEntries < -1) {
            throw new IllegalArgumentException("snapshot count >= 0 (0: the default), catch-up entries >= -1");
        }
        if (powerCutKills && !loseUnsyncedWrites) {
            throw new IllegalArgumentException("power-cut kills need nodes that lose unsynced writes");
        }
    }

    public LocalNodeSettings(
            String readMode, long snapshotCount, long snapshotCatchupEntries, boolean loseUnsyncedWrites) {
        this(readMode, snapshotCount, snapshotCatchupEntries, loseUnsyncedWrites, false);
    }

    /** Settings whose nodes write as in production (unsynced writes in the page cache). */
    public LocalNodeSettings(String readMode, long snapshotCount, long snapshotCatchupEntries) {
        this(readMode, snapshotCount, snapshotCatchupEntries, false);
    }

    /** The node's own defaults: no option passed. */
    public static LocalNodeSettings production() {
        return new LocalNodeSettings("read-index", 0, -1);
    }

    /**
     * A test's settings, drawn from its seed alone (the same seed draws the same, whatever else the test
     * says): lease reads one run in three; a snapshot every 100 to 1,099 entries; and behind it up to a fifth of
     * that kept for followers a little behind (a fifth is the node's own default); unsynced writes lost at a kill.
     */
    public static LocalNodeSettings draw(long seed) {
        SplittableRandom r = new SplittableRandom(seed ^ 0x5EED_0F_5E77_1265L);
        boolean lease = r.nextInt(3) == 0;
        long count = MIN_SNAPSHOT_COUNT + r.nextLong(MAX_SNAPSHOT_COUNT - MIN_SNAPSHOT_COUNT);
        long catchup = r.nextLong(count / 5 + 1);
        return new LocalNodeSettings(lease ? "lease" : "read-index", count, catchup, true);
    }

    /** The same settings with another read mode. */
    public LocalNodeSettings withReadMode(String mode) {
        return new LocalNodeSettings(mode, snapshotCount, snapshotCatchupEntries, loseUnsyncedWrites, powerCutKills);
    }

    /** The same settings with another snapshot count (and its catch-up window, -1: the node's default). */
    public LocalNodeSettings withSnapshots(long count, long catchupEntries) {
        return new LocalNodeSettings(readMode, count, catchupEntries, loseUnsyncedWrites, powerCutKills);
    }

    /** The same settings, unsynced writes lost at a kill or not. */
    public LocalNodeSettings withLoseUnsyncedWrites(boolean lose) {
        return new LocalNodeSettings(readMode, snapshotCount, snapshotCatchupEntries, lose, powerCutKills && lose);
    }

    /** The same settings, every kill a power cut in an fsync or not. */
    public LocalNodeSettings withPowerCutKills(boolean cut) {
        return new LocalNodeSettings(readMode, snapshotCount, snapshotCatchupEntries, loseUnsyncedWrites, cut);
    }

    /** The node options that say these settings (none for a default). */
    public List<String> nodeArgs() {
        List<String> a = new ArrayList<>();
        if (!readMode.equals("read-index")) {
            a.addAll(List.of("--read-mode", readMode));
            a.addAll(List.of("--lease-drift-bound-ms", String.valueOf(TEST_LEASE_DRIFT_BOUND_MILLIS)));
        }
        if (snapshotCount > 0) {
            a.addAll(List.of("--snapshot-count", String.valueOf(snapshotCount)));
        }
        if (snapshotCatchupEntries >= 0) {
            a.addAll(List.of("--snapshot-catchup-entries", String.valueOf(snapshotCatchupEntries)));
        }
        if (loseUnsyncedWrites) {
            a.add("--test-only-lose-unsynced-writes");
        }
        return a;
    }

    /** The settings as a test's options record them ({@code test.json}), in a fixed order. */
    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("read-mode", readMode);
        m.put("snapshot-count", snapshotCount > 0 ? snapshotCount : "default");
        m.put("snapshot-catchup-entries", snapshotCatchupEntries >= 0 ? snapshotCatchupEntries : "default");
        m.put("lose-unsynced-writes", loseUnsyncedWrites);
        if (powerCutKills) {
            m.put("power-cut-kills", true);
        }
        return m;
    }
}
