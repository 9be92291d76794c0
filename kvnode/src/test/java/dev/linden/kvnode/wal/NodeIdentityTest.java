package dev.linden.kvnode.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.kvnode.wal.NodeIdentity.InitialClusterState;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeIdentityTest {
    @TempDir
    Path dir;

    private static final List<Integer> MEMBERS = List.of(1, 2, 3);

    private NioVfs vfs() throws IOException {
        return new NioVfs(dir, Runnable::run);
    }

    @Test
    void aNewClusterBootstrapsAnEmptyDirAndLaterStartsFindTheSameIdentity() throws IOException {
        NodeIdentity made = NodeIdentity.establish(vfs(), "c1", 2, MEMBERS, InitialClusterState.NEW);
        assertEquals(new NodeIdentity("c1", 2, MEMBERS), made);
        // Later starts: the flag no longer matters, and the cluster id may be left to the data dir.
        assertEquals(made, NodeIdentity.establish(vfs(), "c1", 2, MEMBERS, InitialClusterState.EXISTING));
        assertEquals(made, NodeIdentity.establish(vfs(), null, 2, List.of(3, 2, 1), InitialClusterState.NEW));
    }

    @Test
    void anEmptyDirOfAnExistingClusterIsANodeThatLostItsDataAndRefuses() {
        IOException e = assertThrows(
                NodeIdentity.RefusedException.class,
                () -> NodeIdentity.establish(vfs(), "c1", 2, MEMBERS, InitialClusterState.EXISTING));
        assertTrue(e.getMessage().contains("lost its data") && e.getMessage().contains("Recovery"), e.getMessage());
        assertTrue(dir.toFile().list().length == 0, "a refusal writes nothing");
    }

    @Test
    void aForeignDirIsRefused() throws IOException {
        NodeIdentity.establish(vfs(), "c1", 2, MEMBERS, InitialClusterState.NEW);
        String cluster = assertThrows(
                        NodeIdentity.RefusedException.class,
                        () -> NodeIdentity.establish(vfs(), "c2", 2, MEMBERS, InitialClusterState.NEW))
                .getMessage();
        assertTrue(cluster.contains("belongs to cluster c1"), cluster);
        String node = assertThrows(
                        NodeIdentity.RefusedException.class,
                        () -> NodeIdentity.establish(vfs(), "c1", 3, MEMBERS, InitialClusterState.NEW))
                .getMessage();
        assertTrue(node.contains("belongs to node 2"), node);
        // Peers given at a restart may name nodes added since: the configuration in force is in the log, and
        // the identity keeps the members it was bootstrapped with.
        assertEquals(
                List.of(1, 2, 3),
                NodeIdentity.establish(vfs(), "c1", 2, List.of(1, 2, 3, 4, 5), InitialClusterState.NEW)
                        .members());
    }

    @Test
    void aJoiningNodeIsBootstrappedWithNoMembersAndKeepsThatAcrossRestarts() throws IOException {
        NodeIdentity joined = NodeIdentity.establish(vfs(), "c1", 4, List.of(1, 2, 3, 4), InitialClusterState.JOIN);
        assertEquals(List.of(), joined.members());
        assertEquals(
                List.of(),
                NodeIdentity.establish(vfs(), "c1", 4, List.of(1, 2, 3, 4), InitialClusterState.EXISTING)
                        .members());
    }

    @Test
    void aLogWithoutAnIdentityIsRefusedAndADamagedIdentityIsFound() throws IOException {
        Files.write(dir.resolve("wal-0000000001.seg"), new byte[64]);
        String e = assertThrows(
                        NodeIdentity.RefusedException.class,
                        () -> NodeIdentity.establish(vfs(), "c1", 1, MEMBERS, InitialClusterState.NEW))
                .getMessage();
        assertTrue(e.contains("no identity file"), e);
        Files.delete(dir.resolve("wal-0000000001.seg"));
        NodeIdentity.establish(vfs(), "c1", 1, MEMBERS, InitialClusterState.NEW);
        try (RandomAccessFile f =
                new RandomAccessFile(dir.resolve(NodeIdentity.FILE).toFile(), "rw")) {
            f.seek(14);
            f.write('X');
        }
        IOException bad = assertThrows(
                IOException.class, () -> NodeIdentity.establish(vfs(), "c1", 1, MEMBERS, InitialClusterState.NEW));
        assertTrue(bad.getMessage().contains("checksum"), bad.getMessage());
    }
}
