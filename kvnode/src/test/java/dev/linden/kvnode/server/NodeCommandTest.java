package dev.linden.kvnode.server;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.kvnode.node.StorageFailedException;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.junit.jupiter.api.Test;

/** The node's exit code tells a harness whether a fatal error was the disk's (74) or a bug (70). */
class NodeCommandTest {
    @Test
    void aFailedDurableWriteIsAStorageFailureHoweverWrapped() {
        assertTrue(NodeCommand.storageFailure(new IOException("storage failed: No space left on device")));
        assertTrue(NodeCommand.storageFailure(
                new StorageFailedException(1, "term/vote", new IOException("No space left on device"))));
        assertTrue(NodeCommand.storageFailure(new RuntimeException(new UncheckedIOException(new IOException("x")))));
    }

    @Test
    void anInvariantViolationIsNot() {
        assertFalse(NodeCommand.storageFailure(new IllegalStateException("ready loop did not settle")));
        assertFalse(NodeCommand.storageFailure(new AssertionError("commit went backwards")));
    }
}
