package dev.linden.kvnode.server;

import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import picocli.CommandLine.Option;

/**
 * The node's test-only options (a mixin of {@link NodeCommand}): planted bugs and a disk that loses unsynced writes
 * on a kill, for tests of the harness, hidden
 * from help. They are taken from the command line only, never from a {@code --config} file (a file naming one is
 * refused), so no deployment's configuration can carry one; a node that runs one says so on stderr and in its log.
 */
final class NodeTestOnlyOptions {
    /** The key a {@code --config} file must not hold. */
    static final String CONFIG_KEY = "test-only-bugs";

    @Option(
            names = "--test-only-bugs",
            hidden = true,
            split = ",",
            paramLabel = "BUG",
            description = "TEST-ONLY: a deliberately broken node for tests of the harness, with these planted bugs "
                    + "(the names of ./linden sim --canaries that a process can run: see TestOnlyBug)")
    List<String> bugs = new ArrayList<>();

    @Option(
            names = "--test-only-unsafe-local-reads",
            hidden = true,
            description = "TEST-ONLY, an older name of --test-only-bugs unsafe-reads")
    boolean unsafeLocalReads;

    @Option(
            names = "--test-only-lose-unsynced-writes",
            hidden = true,
            description = "TEST-ONLY: keep every write in the process until an fsync covers it, so a kill (SIGKILL) "
                    + "loses it as a power cut would (as Jepsen's LazyFS does); slower, never for real data")
    boolean loseUnsyncedWrites;

    @Option(
            names = "--test-only-times-log-ms",
            hidden = true,
            description =
                    "TEST-ONLY: every MS, the stages' and fsyncs' latencies of the interval to DATA_DIR/times.hlog "
                            + "(HdrHistogram's log format), for a bench to take its window's; 0 (default) writes none")
    long timesLogMillis;

    /** The bugs asked for; throws IllegalArgumentException on an unknown name or one in the config file. */
    Set<TestOnlyBug> planted(Properties config) {
        if (config.getProperty(CONFIG_KEY) != null) {
            throw new IllegalArgumentException("planted bugs are taken from the command line only "
                    + "(--test-only-bugs), never from a --config file: remove '" + CONFIG_KEY + "' from it");
        }
        List<String> names = new ArrayList<>(bugs);
        if (unsafeLocalReads) {
            names.add("unsafe-reads");
        }
        return TestOnlyBug.parse(names);
    }
}
