package dev.linden.kvnode.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A peer's first data dir incarnation is remembered across restarts; a later one is refused, saying how to recover. */
class PeerIncarnationsTest {
    @TempDir
    Path dir;

    private Vfs vfs() throws IOException {
        return new NioVfs(dir, Runnable::run);
    }

    @Test
    void theFirstIncarnationIsRecordedDurablyAndAnotherIsRefused() throws IOException {
        PeerIncarnations p = PeerIncarnations.load(vfs());
        assertNull(p.admit(2, 0xabcL));
        assertNull(p.admit(2, 0xabcL));
        PeerIncarnations reloaded = PeerIncarnations.load(vfs());
        assertEquals(0xabcL, reloaded.known().get(2));
        String refusal = reloaded.admit(2, 0xdefL);
        assertNotNull(refusal);
        assertTrue(
                refusal.contains("bootstrapped anew")
                        && refusal.contains("cluster remove --node 2")
                        && refusal.contains("cluster add"),
                refusal);
        assertNull(reloaded.admit(3, 0xdefL), "another node's id is its own");
    }

    @Test
    void incarnationZeroIsAnOldDataDirAndNeverChecked() throws IOException {
        PeerIncarnations p = PeerIncarnations.load(vfs());
        assertNull(p.admit(2, 0));
        assertTrue(p.known().isEmpty());
    }

    @Test
    void theIdentityFileKeepsTheIncarnationItWasBootstrappedWith() throws IOException {
        NodeIdentity made =
                NodeIdentity.establish(vfs(), "c1", 1, List.of(1, 2, 3), NodeIdentity.InitialClusterState.NEW, 0x1234L);
        assertEquals(0x1234L, made.incarnation());
        NodeIdentity again =
                NodeIdentity.establish(vfs(), "c1", 1, List.of(1, 2, 3), NodeIdentity.InitialClusterState.NEW, 0x9999L);
        assertEquals(0x1234L, again.incarnation(), "an existing data dir keeps its incarnation");
    }
}
