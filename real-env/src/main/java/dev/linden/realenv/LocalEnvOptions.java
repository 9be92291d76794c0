package dev.linden.realenv;

import dev.linden.kvadapter.KvApi;
import java.util.List;

/**
 * How node processes are run.
 *
 * @param testOnlyBugs planted bugs every node runs with ({@code --test-only-bugs}, test-only), by the canaries'
 *                     names; empty for a sound cluster
 * @param net  {@code proxy}: loopback, every peer link through a {@link LinkProxy} (no root); {@code netns}:
 *             a network namespace per node, partitions by iptables ({@link Netns}, root)
 * @param toxiproxy  HOST:PORT of a Toxiproxy server to put in front of every link proxy
 *                   ({@link ToxiproxyLinks}), or null
 * @param containers {@code --env docker}: each node in a container of its own ({@link ContainerProcess}),
 *                   on the host's network, killed and paused through the engine
 * @param node       how the nodes read and snapshot ({@link LocalNodeSettings})
 * @param kvApi      which of the store's APIs the test's clients use ({@link KvApi})
 */
public record LocalEnvOptions(
        List<String> testOnlyBugs,
        String heap,
        String net,
        boolean clockFaults,
        boolean diskFaults,
        boolean membershipFaults,
        String toxiproxy,
        boolean containers,
        LocalNodeSettings node,
        KvApi kvApi) {
    public LocalEnvOptions {
        testOnlyBugs = List.copyOf(testOnlyBugs);
        if (kvApi == null) {
            throw new IllegalArgumentException("a KV API is required");
        }
        if (!net.equals("proxy") && !net.equals("netns")) {
            throw new IllegalArgumentException("--net is proxy or netns");
        }
        if (containers && !net.equals("proxy")) {
            throw new IllegalArgumentException(
                    "--env docker runs on the host's network with link proxies: --net proxy");
        }
        if (toxiproxy != null && !net.equals("proxy")) {
            throw new IllegalArgumentException(
                    "--toxiproxy needs --net proxy (its proxies sit in front of the link proxies)");
        }
    }

    public static LocalEnvOptions defaults() {
        return new LocalEnvOptions(
                List.of(),
                "256m",
                "proxy",
                false,
                false,
                false,
                null,
                false,
                LocalNodeSettings.production(),
                KvApi.PLAIN);
    }

    /** The node options that plant the bugs (none for a sound cluster). */
    List<String> bugArgs() {
        return testOnlyBugs.isEmpty() ? List.of() : List.of("--test-only-bugs", String.join(",", testOnlyBugs));
    }
}
