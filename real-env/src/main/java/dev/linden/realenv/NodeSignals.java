package dev.linden.realenv;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Collection;
import java.util.concurrent.TimeUnit;

/** Signals to node processes, or the engine's equivalents for a node in a container. */
final class NodeSignals {
    private static final long WAIT_SECONDS = 10;

    private NodeSignals() {}

    /** Stops a node where it is: SIGSTOP, or the engine's freezer for a container. */
    static void pause(Process p) {
        if (p instanceof ContainerProcess cp) {
            cp.pause();
        } else {
            signal(p.pid(), "STOP");
        }
    }

    /** Lets a paused node run again: SIGCONT, or the engine's thaw for a container. */
    static void resume(Process p) {
        if (p instanceof ContainerProcess cp) {
            cp.unpause();
        } else {
            signal(p.pid(), "CONT");
        }
    }

    static void signal(long pid, String sig) {
        try {
            new ProcessBuilder("kill", "-" + sig, String.valueOf(pid))
                    .redirectErrorStream(true)
                    .start()
                    .waitFor(5, TimeUnit.SECONDS);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Kills every process and waits for each, then removes every container a run started (earlier incarnations
     * of a node too): removed now, not when the engine's exit callback gets to it, so nothing is left.
     */
    static void killAll(Collection<Process> processes, Collection<ContainerProcess> containers) {
        for (Process p : processes) {
            if (p.isAlive()) {
                resume(p); // a stopped process dies on SIGKILL too, but let it go cleanly
                p.destroyForcibly();
            }
        }
        for (Process p : processes) {
            awaitExit(p);
        }
        for (ContainerProcess cp : containers) {
            awaitExit(cp.destroyForcibly());
            cp.remove();
        }
    }

    private static void awaitExit(Process p) {
        try {
            p.waitFor(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
