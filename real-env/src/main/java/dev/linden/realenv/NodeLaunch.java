package dev.linden.realenv;

import dev.linden.kvnode.server.NodeCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The one launcher of node processes in the real-process environment: a node's JVM command line (this JVM's
 * java and class path, {@link NodeCommand} as the main class) and its start, with the output appended to
 * {@code DATA_DIR/stdout.log}. {@link LocalCluster} (the operator's cluster, the bench, the reliability tests) and
 * {@link LocalTestCluster} (the harness's) both start their nodes through it.
 */
public final class NodeLaunch {
    /** Extra JVM flags for every node, e.g. profiling; {@code {id}} becomes the node id. */
    static final String EXTRA_JAVA_OPTS_ENV = "LINDEN_NODE_JAVA_OPTS";

    private final int id;
    private final Path dataDir;
    private final List<String> jvm = new ArrayList<>();
    private final List<String> args = new ArrayList<>();

    public NodeLaunch(int id, Path dataDir) {
        if (id < 1) {
            throw new IllegalArgumentException("node ids start at 1, got " + id);
        }
        this.id = id;
        this.dataDir = dataDir;
        args.addAll(List.of("--id", String.valueOf(id), "--data-dir", dataDir.toString()));
    }

    /**
     * JVM flags that keep value memory and Netty's buffers apart: values live in direct slabs bounded by
     * -XX:MaxDirectMemorySize (twice the quota, since a value's slot is rounded up to its size class, plus
     * room for snapshots in transit), while Netty counts its own buffers against io.netty.maxDirectMemory
     * (it needs access to java.nio for that). One cannot starve the other.
     */
    public static List<String> memoryFlags(String heap, long quotaBytes, long nettyDirectBytes) {
        long valueDirect = 2 * quotaBytes + (64L << 20);
        return List.of(
                "-Xmx" + heap,
                "-XX:MaxDirectMemorySize=" + valueDirect,
                "-Dio.netty.maxDirectMemory=" + nettyDirectBytes,
                "-Dio.netty.tryReflectionSetAccessible=true",
                "--add-opens=java.base/java.nio=ALL-UNNAMED");
    }

    /**
     * The collector flags measured to keep a node's GC pauses short when several node JVMs share few cores (the
     * bench's nodes), with its GC log in {@code gcLog}:
     * <ul>
     *   <li>the parallel collector with one thread and a roomy young generation: more GC threads fought over the
     *       cores (young pauses of 25-270 ms measured, 5-10 ms with one);</li>
     *   <li>a fixed, pre-touched heap: otherwise the first collections page-fault their way through untouched
     *       memory (pauses of 100-300 ms);</li>
     *   <li>metaspace sized for every class a node loads: at the default, a young and a full collection ran about
     *       15 s after the start, 160-470 ms together;</li>
     *   <li>objects that survive two young collections are promoted: the key index, made in the first seconds of
     *       load and kept for good, was otherwise copied between survivor spaces by up to 15 collections
     *       (31 MiB each time, 40-130 ms under load, against 1-10 ms once promoted), while what a write leaves
     *       behind dies within one.</li>
     * </ul>
     */
    public static List<String> shortPauseFlags(String heap, Path gcLog) {
        return List.of(
                "-Xms" + heap,
                "-XX:+AlwaysPreTouch",
                "-XX:MetaspaceSize=128m",
                "-XX:+UseParallelGC",
                "-XX:ParallelGCThreads=1",
                "-Xmn400m",
                "-XX:InitialTenuringThreshold=2",
                "-XX:MaxTenuringThreshold=2",
                "-Xlog:gc:file=" + gcLog + ":utctime,uptime");
    }

    /** JVM flags, before the class path. */
    public NodeLaunch jvm(Collection<String> flags) {
        jvm.addAll(flags);
        return this;
    }

    /** One option of the node's command line with its value. */
    public NodeLaunch arg(String option, Object value) {
        args.add(option);
        args.add(String.valueOf(value));
        return this;
    }

    /** Options of the node's command line as given. */
    public NodeLaunch args(Collection<String> options) {
        args.addAll(options);
        return this;
    }

    /** The full command line: java, JVM flags (with {@value #EXTRA_JAVA_OPTS_ENV}), class path, main class, options. */
    public List<String> command() {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvm);
        String extra = System.getenv(EXTRA_JAVA_OPTS_ENV);
        if (extra != null && !extra.isBlank()) {
            cmd.addAll(List.of(extra.replace("{id}", String.valueOf(id)).trim().split("\\s+")));
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), NodeCommand.class.getName()));
        cmd.addAll(args);
        return cmd;
    }

    /** Starts {@code command} (this launch's, or a wrapping of it such as a network namespace's) as this node. */
    public Process start(List<String> command, Configure configure) throws IOException {
        Files.createDirectories(dataDir);
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(
                        dataDir.resolve("stdout.log").toFile()));
        configure.accept(pb);
        return pb.start();
    }

    /** What a caller adds to the process before it starts (e.g. libfaketime's environment). */
    @FunctionalInterface
    public interface Configure {
        void accept(ProcessBuilder pb) throws IOException;
    }

    /** Starts this launch's own command line. */
    public Process start() throws IOException {
        return start(command(), pb -> {});
    }
}
