package dev.linden.realenv;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.testcontainers.DockerClientFactory;

/**
 * {@code --env docker}: reaching the engine through Testcontainers, building the node image, removing
 * what runs of dead harnesses left, and turning a node's command line into a container.
 */
public final class Containers {
    private Containers() {}

    /** Why containers cannot run here, or null if a Docker engine is reachable. */
    public static String unavailable() {
        if (!"true".equalsIgnoreCase(System.getenv("TESTCONTAINERS_RYUK_DISABLED"))
                || System.getenv("TESTCONTAINERS_HOST_OVERRIDE") == null) {
            return "--env docker needs TESTCONTAINERS_RYUK_DISABLED=true and "
                    + "TESTCONTAINERS_HOST_OVERRIDE=localhost (no "
                    + "registry serves the images Testcontainers would run for its reaper and for finding the engine's "
                    + "address; the harness removes its own containers, and nodes use the host's network); "
                    + "./linden sets both";
        }
        try {
            return DockerClientFactory.instance().isDockerAvailable()
                    ? null
                    : "no Docker engine is reachable (start dockerd, or set DOCKER_HOST)";
        } catch (RuntimeException e) {
            return "no Docker engine is reachable: " + e.getMessage();
        }
    }

    /** Checks the engine, removes containers of harnesses that are gone, builds the image; returns its tag. */
    static String prepare() throws IOException, InterruptedException {
        String why = unavailable();
        if (why != null) {
            throw new IllegalStateException(why);
        }
        DockerClient docker = DockerClientFactory.instance().client();
        removeLeftovers(docker);
        return NodeImage.ensure(docker);
    }

    /** Containers whose harness process is gone (killed before it could clean up). */
    static int removeLeftovers(DockerClient docker) {
        int removed = 0;
        List<Container> ours = docker.listContainersCmd()
                .withShowAll(true)
                .withLabelFilter(List.of(ContainerProcess.HARNESS_LABEL))
                .exec();
        for (Container c : ours) {
            Map<String, String> labels = c.getLabels();
            long pid = Long.parseLong(labels.getOrDefault(ContainerProcess.HARNESS_LABEL, "-1"));
            if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                continue; // another live run's
            }
            docker.removeContainerCmd(c.getId()).withForce(true).exec();
            removed++;
        }
        return removed;
    }

    /** Containers of this harness process still there (for tests: none after a run). */
    public static List<String> ofThisHarness() {
        DockerClient docker = DockerClientFactory.instance().client();
        List<String> out = new ArrayList<>();
        for (Container c : docker.listContainersCmd()
                .withShowAll(true)
                .withLabelFilter(Map.of(
                        ContainerProcess.HARNESS_LABEL,
                        String.valueOf(ProcessHandle.current().pid())))
                .exec()) {
            out.add(c.getNames().length > 0 ? c.getNames()[0] : c.getId());
        }
        return out;
    }

    /**
     * Runs a node's command line ({@code java ... -cp CP Main node ...}) in a container: the image's java
     * instead of the host's, the class path mounted read-only, and no --exit-with-parent (the harness's pid
     * means nothing inside; the harness kills its containers itself, also from its shutdown hook).
     */
    static ContainerProcess start(String image, String name, List<String> cmd, Path dataDir) {
        List<String> args = new ArrayList<>(cmd.subList(1, cmd.size()));
        int parent = args.indexOf("--exit-with-parent");
        if (parent >= 0) {
            args.remove(parent + 1);
            args.remove(parent);
        }
        List<Path> classPath = new ArrayList<>();
        int cp = args.indexOf("-cp");
        if (cp >= 0) {
            for (String e : args.get(cp + 1).split(File.pathSeparator)) {
                if (!e.isBlank()) {
                    classPath.add(Path.of(e).toAbsolutePath());
                }
            }
        }
        int tls = args.indexOf("--tls-dir");
        if (tls >= 0) {
            classPath.add(Path.of(args.get(tls + 1)).toAbsolutePath()); // the certificates, read-only as the jars
        }
        return ContainerProcess.start(
                image,
                name.replaceAll("[^A-Za-z0-9_.-]", "-"),
                args,
                dataDir,
                classPath,
                dataDir.resolve("stdout.log"));
    }
}
