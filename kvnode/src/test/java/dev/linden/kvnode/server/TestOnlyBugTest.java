package dev.linden.kvnode.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.kvnode.node.NodeConfig;
import dev.linden.kvnode.raft.RaftConfig;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Planted bugs reach a node only when named on its command line, and change only what they name. */
class TestOnlyBugTest {
    @Test
    void namesAreTheCanariesAndAnUnknownOneIsRefused() {
        assertEquals(
                Set.of(TestOnlyBug.VOTE_NOT_PERSISTED, TestOnlyBug.UNSAFE_READS),
                TestOnlyBug.parse(List.of("vote-not-persisted", "local-reads")));
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> TestOnlyBug.parse(List.of("no-dir-sync")));
        assertTrue(e.getMessage().contains("commit-by-counting"), e.getMessage());
        assertNull(TestOnlyBug.byName("empty-rejoin"));
    }

    @Test
    void noBugLeavesTheConfigurationAsItWas() {
        NodeConfig c = NodeConfig.defaults();
        assertSame(c, TestOnlyBug.plant(Set.of(), c));
        assertTrue(c.raft().testOnlyBugs().isEmpty());
        assertTrue(c.raft().preVote());
    }

    @Test
    void coreBugsGoIntoTheRaftConfiguration() {
        NodeConfig c = TestOnlyBug.plant(
                Set.of(TestOnlyBug.COMMIT_BY_COUNTING, TestOnlyBug.NO_PRE_VOTE, TestOnlyBug.NO_DEDUP),
                NodeConfig.defaults());
        assertEquals(Set.of(RaftConfig.Bug.COMMIT_BY_COUNTING), c.raft().testOnlyBugs());
        assertFalse(c.raft().preVote());
        assertFalse(c.raft().leaseReads());
    }

    @Test
    void theLeaseBugTurnsLeaseReadsOn() {
        NodeConfig c = TestOnlyBug.plant(Set.of(TestOnlyBug.LEASE_WITHOUT_DRIFT_BOUND), NodeConfig.defaults());
        assertTrue(c.raft().leaseReads());
        assertTrue(c.raft().bug(RaftConfig.Bug.LEASE_WITHOUT_DRIFT_BOUND));
    }

    @Test
    void bugsComeFromTheCommandLineOnlyNeverFromAConfigFile() {
        NodeTestOnlyOptions o = new NodeTestOnlyOptions();
        new CommandLine(o).parseArgs("--test-only-bugs", "no-dedup,trust-lost-log", "--test-only-unsafe-local-reads");
        assertEquals(
                Set.of(TestOnlyBug.NO_DEDUP, TestOnlyBug.TRUST_LOST_LOG, TestOnlyBug.UNSAFE_READS),
                o.planted(new Properties()));
        Properties file = new Properties();
        file.setProperty("test-only-bugs", "no-dedup");
        assertThrows(IllegalArgumentException.class, () -> new NodeTestOnlyOptions().planted(file));
        assertTrue(new NodeTestOnlyOptions().planted(new Properties()).isEmpty());
    }

    @Test
    void theBannerNamesEveryBugLoudly() {
        String b = TestOnlyBug.banner(Set.of(TestOnlyBug.NO_DEDUP), false);
        assertTrue(b.startsWith("event=test-only-bug bugs=no-dedup") && b.contains("DELIBERATELY BROKEN"), b);
    }

    @Test
    void theBannerSaysWhenWritesAreHeldUntilSynced() {
        String sound = TestOnlyBug.banner(Set.of(), true);
        assertTrue(sound.contains("lose-unsynced-writes=true") && !sound.contains("BROKEN"), sound);
        assertTrue(TestOnlyBug.banner(Set.of(TestOnlyBug.FSYNC_LIES), false).contains("lose-unsynced-writes=true"));
        assertTrue(!TestOnlyBug.banner(Set.of(TestOnlyBug.NO_DEDUP), false).contains("lose-unsynced"));
    }
}
