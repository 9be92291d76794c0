package dev.linden.realenv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** A test's nodes read and snapshot as drawn from its seed; the production defaults pass no option. */
class LocalNodeSettingsTest {
    @Test
    void theProductionDefaultsPassNoOption() {
        assertEquals(List.of(), LocalNodeSettings.production().nodeArgs());
        assertEquals(List.of(), LocalEnvOptions.defaults().bugArgs());
    }

    @Test
    void theSameSeedDrawsTheSameSettings() {
        assertEquals(LocalNodeSettings.draw(42), LocalNodeSettings.draw(42));
    }

    @Test
    void aThirdOfTheRunsReadWithLeasesAndEverySnapshotsWithinAMinute() {
        int lease = 0;
        for (long seed = 1; seed <= 600; seed++) {
            LocalNodeSettings s = LocalNodeSettings.draw(seed);
            lease += s.readMode().equals("lease") ? 1 : 0;
            assertTrue(
                    s.snapshotCount() >= LocalNodeSettings.MIN_SNAPSHOT_COUNT
                            && s.snapshotCount() < LocalNodeSettings.MAX_SNAPSHOT_COUNT,
                    s.toString());
            assertTrue(
                    s.snapshotCatchupEntries() >= 0 && s.snapshotCatchupEntries() <= s.snapshotCount() / 5,
                    s.toString());
        }
        assertTrue(lease > 150 && lease < 250, "lease reads in " + lease + " of 600 runs");
    }

    @Test
    void theNodeOptionsSayTheSettings() {
        LocalNodeSettings s = new LocalNodeSettings("lease", 300, 20);
        assertEquals(
                List.of(
                        "--read-mode",
                        "lease",
                        "--lease-drift-bound-ms",
                        "750",
                        "--snapshot-count",
                        "300",
                        "--snapshot-catchup-entries",
                        "20"),
                s.nodeArgs());
        assertEquals(
                "{read-mode=lease, snapshot-count=300, snapshot-catchup-entries=20, lose-unsynced-writes=false}",
                s.describe().toString());
        assertEquals(
                "--test-only-lose-unsynced-writes",
                s.withLoseUnsyncedWrites(true).nodeArgs().get(8));
        assertTrue(LocalNodeSettings.draw(7).loseUnsyncedWrites(), "a test's nodes lose unsynced writes at a kill");
        assertTrue(!LocalNodeSettings.production().loseUnsyncedWrites());
        LocalNodeSettings cut = LocalNodeSettings.draw(7).withPowerCutKills(true);
        assertTrue(cut.describe().toString().endsWith("lose-unsynced-writes=true, power-cut-kills=true}"));
        assertEquals(cut.nodeArgs(), LocalNodeSettings.draw(7).nodeArgs(), "the harness's, not the node's");
        assertTrue(!cut.withLoseUnsyncedWrites(false).powerCutKills(), "no power cut without held writes");
    }
}
