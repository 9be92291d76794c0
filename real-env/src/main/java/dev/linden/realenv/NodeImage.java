package dev.linden.realenv;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.BuildImageResultCallback;
import com.github.dockerjava.api.exception.NotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The image node containers run, built here from local files only (no registry is reachable): a Java
 * runtime made by {@code jlink} from the JDK running the harness, the shared libraries it links against
 * (found with {@code ldd}), and nothing else, {@code FROM scratch}. The harness's own classes are not in
 * it: each container gets the harness's class path bind-mounted read-only at the same paths, so a
 * container runs exactly the build the harness runs. Tagged by the JDK's version, built once per machine.
 */
final class NodeImage {
    static final String REPOSITORY = "linden-node";
    /** Modules a node needs: Netty's (jdk.unsupported, java.naming), logging, management for GC figures. */
    private static final String MODULES = "java.base,java.logging,java.management,jdk.management,jdk.unsupported,"
            + "java.naming,java.xml,java.sql,jdk.crypto.ec";
    /** Where the runtime lives inside the image. */
    static final String JAVA = "/opt/java/bin/java";

    private NodeImage() {}

    static String tag() {
        return REPOSITORY + ":jdk-" + Runtime.version().toString().replaceAll("[^A-Za-z0-9_.-]", "_");
    }

    /** Builds the image unless it exists; returns its tag. */
    static synchronized String ensure(DockerClient docker) throws IOException, InterruptedException {
        String tag = tag();
        try {
            docker.inspectImageCmd(tag).exec();
            return tag;
        } catch (NotFoundException absent) {
            // build it below
        }
        Path ctx = Files.createTempDirectory("linden-image-");
        try {
            Path rootfs = ctx.resolve("rootfs");
            Path jlink = Path.of(System.getProperty("java.home"), "bin", "jlink");
            if (!Files.isExecutable(jlink)) {
                throw new IOException("building the node image needs jlink, which this Java ("
                        + System.getProperty("java.home") + ") lacks: run with a full JDK");
            }
            run(List.of(
                    jlink.toString(),
                    "--add-modules",
                    MODULES,
                    "--strip-debug",
                    "--no-header-files",
                    "--no-man-pages",
                    "--output",
                    rootfs.resolve("opt/java").toString()));
            for (String lib : sharedLibraries(rootfs.resolve("opt/java"))) {
                Path to = rootfs.resolve(lib.substring(1));
                Files.createDirectories(to.getParent());
                Files.copy(Path.of(lib), to, StandardCopyOption.REPLACE_EXISTING);
            }
            Files.createDirectories(rootfs.resolve("tmp"));
            Files.createDirectories(rootfs.resolve("etc"));
            Files.writeString(rootfs.resolve("etc/passwd"), "root:x:0:0:root:/tmp:/nonexistent\n");
            Files.writeString(rootfs.resolve("etc/hosts"), "127.0.0.1 localhost\n");
            Files.writeString(
                    ctx.resolve("Dockerfile"),
                    "FROM scratch\nCOPY rootfs/ /\nENTRYPOINT [\"" + JAVA + "\"]\n",
                    StandardCharsets.UTF_8);
            docker.buildImageCmd(ctx.toFile())
                    .withTags(Set.of(tag))
                    .withPull(false)
                    .exec(new BuildImageResultCallback())
                    .awaitImageId(10, TimeUnit.MINUTES);
            return tag;
        } finally {
            try (Stream<Path> s = Files.walk(ctx)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Every shared library the runtime's executables and libraries load, with the loader itself. */
    private static Set<String> sharedLibraries(Path runtime) throws IOException, InterruptedException {
        List<String> files = new ArrayList<>();
        try (Stream<Path> s = Files.walk(runtime)) {
            s.filter(p -> p.toString().endsWith(".so")
                            || p.getParent().getFileName().toString().equals("bin"))
                    .filter(Files::isRegularFile)
                    .forEach(p -> files.add(p.toString()));
        }
        Set<String> libs = new TreeSet<>();
        for (String f : files) {
            for (String line : run(List.of("ldd", f)).split("\n")) {
                String t = line.trim();
                int arrow = t.indexOf("=> ");
                String path = arrow >= 0 ? t.substring(arrow + 3) : t;
                int paren = path.indexOf(" (");
                path = paren >= 0 ? path.substring(0, paren) : path;
                if (path.startsWith("/") && !path.startsWith(runtime.toString())) {
                    libs.add(path);
                    Path real = Path.of(path).toRealPath();
                    libs.add(real.toString()); // a symlink's target too (the copy keeps both names)
                }
            }
        }
        return libs;
    }

    private static String run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(5, TimeUnit.MINUTES)
                || (p.exitValue() != 0 && !cmd.get(0).equals("ldd"))) {
            throw new IOException(String.join(" ", cmd) + " failed: " + out);
        }
        return out;
    }
}
