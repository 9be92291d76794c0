package dev.linden.kvnode.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.kvnode.node.NodeConfig;
import dev.linden.kvnode.node.StorageFailedException;
import dev.linden.kvnode.raft.RaftConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The node's exit code tells a harness whether a fatal error was the disk's (74) or a bug (70). */
class NodeCommandTest {
    @Test
    void aFailedDurableWriteIsAStorageFailureHoweverWrapped() {
        assertTrue(NodeCommand.storageFailure(new IOException("storage failed: No space left on device")));
        assertTrue(NodeCommand.storageFailure(
                new StorageFailedException(1, "term/vote", new IOException("No space left on device"))));
        assertTrue(NodeCommand.storageFailure(new RuntimeException(new UncheckedIOException(new IOException("x")))));
    }

    private static KvNodeServer.Options parse(String... extra) {
        NodeCommand c = new NodeCommand();
        List<String> args = new ArrayList<>(
                List.of("--id", "1", "--peers", "1=127.0.0.1:7001", "--client-port", "7101", "--data-dir", "/tmp/x"));
        args.addAll(List.of(extra));
        new CommandLine(c).parseArgs(args.toArray(String[]::new));
        return c.options(new Properties());
    }

    @Test
    void snapshotsAndReadsAreNamedAsEtcdNamesThemWithSafeDefaults() {
        NodeConfig d = parse().nodeConfig();
        assertEquals(500_000, d.snapshotEveryEntries());
        assertFalse(d.raft().leaseReads());
        NodeConfig c = parse("--snapshot-count", "300", "--snapshot-catchup-entries", "7", "--read-mode", "lease")
                .nodeConfig();
        assertEquals(300, c.snapshotEveryEntries());
        assertEquals(7, c.raft().snapshotTrailingEntries());
        assertTrue(c.raft().leaseReads());
        assertEquals(60, parse("--snapshot-every", "300").nodeConfig().raft().snapshotTrailingEntries());
    }

    @Test
    void plantedBugsReachTheCoreOnlyWhenNamed() {
        assertTrue(parse().nodeConfig().raft().testOnlyBugs().isEmpty());
        assertEquals(
                Set.of(RaftConfig.Bug.VOTE_NOT_PERSISTED),
                parse("--test-only-bugs", "vote-not-persisted")
                        .nodeConfig()
                        .raft()
                        .testOnlyBugs());
    }

    @Test
    void anInvariantViolationIsNot() {
        assertFalse(NodeCommand.storageFailure(new IllegalStateException("ready loop did not settle")));
        assertFalse(NodeCommand.storageFailure(new AssertionError("commit went backwards")));
    }
}
