package dev.linden.realenv;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.IntFunction;

/**
 * The data disks of a {@link LocalTestCluster} under disk faults: a size-limited tmpfs per node (as root), so
 * the nemesis can fill one, and which nodes' disks are or were full.
 */
final class LocalDisks {
    /** Size of each node's data dir mount when disk faults are on (root): a tmpfs that can be filled. */
    static final String DATA_MOUNT_SIZE = "192m";

    final List<Path> mounts = new CopyOnWriteArrayList<>();
    /**
     * Nodes whose disk is full now, those whose disk was full at some time since they were last started, and
     * those that died of it (restarted when the disk has room again). A node notices a full disk and exits
     * some time before the harness sees the exit, so the disk may have been emptied in between: such a death
     * is still the full disk's. All three change under {@link #lock}.
     */
    final Set<Integer> full = ConcurrentHashMap.newKeySet();

    final Set<Integer> fullSinceLaunch = ConcurrentHashMap.newKeySet();
    final Set<Integer> diedOfFull = ConcurrentHashMap.newKeySet();
    final Object lock = new Object();

    /** A size-limited tmpfs on each node's data dir, if this process is root; else nothing. */
    void mount(Collection<Integer> ids, IntFunction<Path> dataDir) throws IOException {
        if (!"root".equals(System.getProperty("user.name"))) {
            return;
        }
        for (int id : ids) {
            Path dir = dataDir.apply(id);
            Files.createDirectories(dir);
            Commands.run("mount", "-t", "tmpfs", "-o", "size=" + DATA_MOUNT_SIZE, "tmpfs", dir.toString());
            mounts.add(dir);
        }
    }

    void unmountAll() {
        for (Path m : mounts) {
            try {
                Commands.run("umount", "-l", m.toString());
            } catch (IOException e) {
                // already unmounted
            }
        }
        mounts.clear();
    }
}
