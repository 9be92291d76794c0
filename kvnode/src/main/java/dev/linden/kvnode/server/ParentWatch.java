package dev.linden.kvnode.server;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A node started by a test harness ({@code --exit-with-parent PID}) must not outlive it, even when the harness
 * dies by SIGKILL, which runs no hook: a daemon thread looks once a second and exits the node when it is gone.
 */
final class ParentWatch {
    private ParentWatch() {}

    static void start(long parentPid, Runnable saying) {
        Thread watch = new Thread(
                () -> {
                    while (parentAlive(parentPid)) {
                        try {
                            Thread.sleep(1_000);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                    saying.run();
                    System.exit(0);
                },
                "parent-watch");
        watch.setDaemon(true);
        watch.start();
    }

    /**
     * Whether the harness process lives. On Linux by stat of /proc/PID, which needs no file handle: a node
     * out of handles (a connection flood) once took "cannot look" for "gone" and exited with its cluster.
     */
    static boolean parentAlive(long pid) {
        Path proc = Path.of("/proc");
        if (Files.isDirectory(proc.resolve("self"))) {
            return Files.exists(proc.resolve(String.valueOf(pid)));
        }
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }
}
