package dev.linden.realenv;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.WaitResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.testcontainers.containers.BindMode;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.startupcheck.StartupCheckStrategy;
import org.testcontainers.containers.wait.strategy.AbstractWaitStrategy;
import org.testcontainers.utility.DockerImageName;

/**
 * One node in its own container ({@code --env docker}), started through Testcontainers and seen by the
 * harness as a {@link Process}: it exits when the container does, {@link #destroyForcibly()} is the
 * engine's SIGKILL ({@code docker kill}), {@link #pause()} and {@link #unpause()} are the engine's cgroup
 * freezer ({@code docker pause}), and {@link #pid()} is the node's pid on this host. The container uses
 * the host's network (the harness's link proxies and client ports on loopback work unchanged), its data
 * dir and the harness's class path are bind-mounted at the same paths, and what it prints is appended to
 * the node's {@code stdout.log}. The container is removed once it has exited.
 */
final class ContainerProcess extends Process {
    /** Label on every container a run starts: the harness's pid, so leftovers of a dead harness can be told. */
    static final String HARNESS_LABEL = "dev.linden.harness-pid";

    private final GenericContainer<?> container;
    private final DockerClient docker;
    private final String id;
    private final long hostPid;
    private final CompletableFuture<Integer> exit = new CompletableFuture<>();

    private ContainerProcess(GenericContainer<?> container) {
        this.container = container;
        this.docker = container.getDockerClient();
        this.id = container.getContainerId();
        Long pid = docker.inspectContainerCmd(id).exec().getState().getPidLong();
        this.hostPid = pid == null ? -1 : pid;
        docker.waitContainerCmd(id).exec(new ResultCallback.Adapter<WaitResponse>() {
            @Override
            public void onNext(WaitResponse r) {
                exit.complete(r.getStatusCode());
            }

            @Override
            public void onError(Throwable t) {
                exit.complete(137); // the engine lost track of it: as good as killed
            }
        });
        exit.thenRunAsync(this::remove);
    }

    /**
     * Starts {@code args} (what follows {@code java} on a command line) in a new container named {@code name}.
     * Returns once the container runs; the node inside may still exit at once (it refuses a data dir).
     */
    static ContainerProcess start(
            String image, String name, List<String> args, Path dataDir, List<Path> classPath, Path log) {
        GenericContainer<?> c = new GenericContainer<>(DockerImageName.parse(image))
                .withNetworkMode("host")
                .withFileSystemBind(dataDir.toString(), dataDir.toString(), BindMode.READ_WRITE)
                .withLabel(HARNESS_LABEL, String.valueOf(ProcessHandle.current().pid()))
                .withCommand(args.toArray(String[]::new))
                .withCreateContainerCmdModifier(cmd -> cmd.withName(name))
                .withStartupCheckStrategy(new StartedIsEnough())
                .waitingFor(new NoWait())
                .withLogConsumer(frame -> append(log, frame.getUtf8String()));
        for (Path p : classPath) {
            c.withFileSystemBind(p.toString(), p.toString(), BindMode.READ_ONLY);
        }
        c.start();
        return new ContainerProcess(c);
    }

    private static void append(Path log, String text) {
        try {
            Files.writeString(log, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            // the run's directory is going away
        }
    }

    void pause() {
        if (isAlive()) {
            docker.pauseContainerCmd(id).exec();
        }
    }

    void unpause() {
        try {
            docker.unpauseContainerCmd(id).exec();
        } catch (RuntimeException notPaused) {
            // not paused, or gone
        }
    }

    private void signal(String sig) {
        if (isAlive()) {
            unpause(); // a frozen container takes no signal until thawed
            try {
                docker.killContainerCmd(id).withSignal(sig).exec();
            } catch (RuntimeException gone) {
                // exited meanwhile
            }
        }
    }

    /** Removes the exited container (idempotent; also run on its own once the container exits). */
    synchronized void remove() {
        if (removed) {
            return;
        }
        removed = true;
        try {
            container.stop();
        } catch (RuntimeException e) {
            // already removed
        }
    }

    private boolean removed;

    @Override
    public OutputStream getOutputStream() {
        return OutputStream.nullOutputStream();
    }

    @Override
    public InputStream getInputStream() {
        return InputStream.nullInputStream();
    }

    @Override
    public InputStream getErrorStream() {
        return InputStream.nullInputStream();
    }

    @Override
    public int waitFor() throws InterruptedException {
        try {
            return exit.get();
        } catch (ExecutionException e) {
            return 137;
        }
    }

    @Override
    public boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException {
        try {
            exit.get(timeout, unit);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return true;
        }
    }

    @Override
    public int exitValue() {
        if (!exit.isDone()) {
            throw new IllegalThreadStateException("container " + id + " is running");
        }
        return exit.join();
    }

    @Override
    public void destroy() {
        signal("TERM");
    }

    @Override
    public Process destroyForcibly() {
        signal("KILL");
        return this;
    }

    @Override
    public boolean isAlive() {
        return !exit.isDone();
    }

    @Override
    public long pid() {
        return hostPid;
    }

    @Override
    public CompletableFuture<Process> onExit() {
        return exit.thenApply(code -> this);
    }

    /** The engine said the container runs: that is all a node needs to have started (it may still exit). */
    private static final class StartedIsEnough extends StartupCheckStrategy {
        @Override
        public StartupStatus checkStartupState(DockerClient docker, String containerId) {
            return StartupStatus.SUCCESSFUL;
        }
    }

    private static final class NoWait extends AbstractWaitStrategy {
        NoWait() {
            withStartupTimeout(Duration.ofSeconds(1));
        }

        @Override
        protected void waitUntilReady() {
            // the harness waits for the node's client port itself
        }
    }
}
