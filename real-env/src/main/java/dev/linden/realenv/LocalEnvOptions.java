package dev.linden.realenv;

/**
 * How node processes are run.
 *
 * @param net  {@code proxy}: loopback, every peer link through a {@link LinkProxy} (no root); {@code netns}:
 *             a network namespace per node, partitions by iptables ({@link Netns}, root)
 * @param toxiproxy  HOST:PORT of a Toxiproxy server to put in front of every link proxy
 *                   ({@link ToxiproxyLinks}), or null
 * @param containers {@code --env docker}: each node in a container of its own ({@link ContainerProcess}),
 *                   on the host's network, killed and paused through the engine
 */
public record LocalEnvOptions(
        boolean unsafeLocalReads,
        String heap,
        String net,
        boolean clockFaults,
        boolean diskFaults,
        boolean membershipFaults,
        String toxiproxy,
        boolean containers) {
    public LocalEnvOptions {
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
        return new LocalEnvOptions(false, "256m", "proxy", false, false, false, null, false);
    }
}
