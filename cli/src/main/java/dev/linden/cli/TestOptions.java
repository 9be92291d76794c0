package dev.linden.cli;

import dev.linden.harness.TestSpec;
import dev.linden.kvadapter.KvApi;
import dev.linden.nemesis.FaultKind;
import dev.linden.nemesis.FaultSchedule;
import dev.linden.realenv.LocalEnvOptions;
import dev.linden.realenv.LocalTestCluster;
import dev.linden.sim.SimOptions;
import dev.linden.sim.Simulation;
import dev.linden.workloads.Workload;
import dev.linden.workloads.check.Check;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The options that declare a test, shared by {@code test} and {@code sim} (a sweep of the same test over seeds). */
final class TestOptions {
    @Option(
            names = "--env",
            description = "where the cluster runs: sim (default: the deterministic simulator), local "
                    + "(node processes on loopback, faults by signals and link proxies) or docker (each "
                    + "node in a container "
                    + "of its own, through Testcontainers, killed and paused by the engine)")
    String env = "sim";

    @Option(
            names = "--net",
            description = "with --env local: proxy (default: a proxy on every peer link, no root) or "
                    + "netns (a network namespace per node, partitions by iptables; root)")
    String net = "proxy";

    @Option(
            names = "--toxiproxy",
            description = "with --env local: HOST:PORT of a Toxiproxy server; every peer link "
                    + "then also passes a Toxiproxy proxy, and link clogs are latency, bandwidth, "
                    + "slicer and timeout toxics")
    String toxiproxy;

    @Option(names = "--nodes", description = "cluster size (default ${DEFAULT-VALUE})")
    int nodes = 5;

    @Option(names = "--workload", description = "register, kv, list-append or set (default kv)")
    String workload = "kv";

    @Option(names = "--keys", description = "keys kv and list-append spread over (default 5)")
    int keys = 5;

    @Option(
            names = {"--nemesis", "--faults"},
            description = "faults: all, none, or a comma list of families "
                    + "(partition, kill, leader-change-kill, pause, clock, stale-leader, disk, disk-damage, link, "
                    + "transfer, membership, hostile) "
                    + "and faults (clog, loss, duplicate, reorder, corrupt, disk-full, fsync-stall, bitflip, "
                    + "wipe-disk, long-partition, "
                    + "lose-tail, lose-segments, restart-as-new, answer-flood, client-conn-flood, peer-conn-flood, "
                    + "half-frames, forged-peer; old names crash and disk-loss still read); "
                    + "default all (every fault but hostile, for now)")
    String nemesis = "all";

    @Option(
            names = {"--time-limit", "--duration"},
            description = "seconds of the main phase (default 30; simulated time in the simulator)")
    double timeLimitSeconds = 30;

    @Option(names = "--rate", description = "client operations per second over all clients (default 200)")
    double rate = 200;

    @Option(
            names = {"--concurrency", "--clients"},
            description = "client worker threads (default 5)")
    int concurrency = 5;

    @Option(
            names = "--read-only-clients",
            description = "of the clients, this many only read (register and kv; default 0): each keeps the node "
                    + "it found leading, as a read-only service does, so a deposed leader that still answers is seen")
    int readOnlyClients;

    @Option(names = "--intensity", description = "fault rate multiplier: 0.1 rare ... 1 default ... 10 storm")
    double intensity = 1.0;

    @Option(
            names = "--recovery-window",
            description = "seconds with no fault after each fault stops (then faults never overlap); default 0: "
                    + "up to two overlap")
    double recoveryWindowSeconds = 0;

    @Option(
            names = "--check-time-limit",
            description = "seconds the linearizability search may take before it says unknown (default 60)")
    double checkTimeLimitSeconds = 60;

    @Option(
            names = "--name",
            description = "test name: runs are stored in STORE/NAME/<timestamp>/ (default: linden-WORKLOAD)")
    String name;

    @Option(names = "--store", description = "store directory (default ./store)")
    Path store = Path.of("store");

    @Option(
            names = "--bug",
            description = "test-only: run a deliberately broken cluster, with one planted bug of ./linden sim "
                    + "--canaries (e.g. unsafe-reads: reads without ReadIndex); on node processes, those a process "
                    + "can run (every node gets --test-only-bugs)")
    String bug = "none";

    @Option(
            names = "--kv-api",
            description = "plain (get, put, append, cas commands) or txn: the same operations as single-key ranges"
                    + " and transactions, so every workload and check tests those paths (default plain)")
    String kvApi = "plain";

    @Mixin
    LocalRunOptions local = new LocalRunOptions();

    /** Checks the options; returns an error message or null. */
    String validate() {
        if (!env.equals("sim") && !env.equals("local") && !env.equals("docker")) {
            return "--env is sim, local or docker, not " + env;
        }
        if (toxiproxy != null && (env.equals("sim") || !net.equals("proxy"))) {
            return "--toxiproxy works with --env local or docker and --net proxy";
        }
        if (!net.equals("proxy") && !(net.equals("netns") && env.equals("local"))) {
            return "--net is proxy or netns, and netns only with --env local";
        }
        String refusal = env.equals("sim") ? null : LocalRunOptions.processBugRefusal(bugName());
        refusal = refusal != null ? refusal : local.validate(env);
        if (refusal != null) {
            return refusal;
        }
        if (!Workload.NAMES.contains(workload) && !workload.equals("all")) {
            return "unknown workload '" + workload + "' (one of " + String.join(", ", Workload.NAMES) + ")";
        }
        try {
            FaultKind.parseList(nemesis);
            SimOptions.withBug(bugName());
            KvApi.parse(kvApi);
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        if (nodes < 1
                || nodes > 9
                || concurrency < 1
                || concurrency > 1000
                || keys < 1
                || keys > 100_000
                || !(timeLimitSeconds > 0)
                || !(rate > 0)
                || !(intensity > 0)
                || intensity > 10
                || recoveryWindowSeconds < 0
                || !(checkTimeLimitSeconds > 0)) {
            return "need --nodes 1..9, --concurrency 1..1000, --keys 1..100000, positive --time-limit, --rate and "
                    + "--check-time-limit, --intensity in (0, 10], --recovery-window >= 0";
        }
        if (name != null && !name.matches("[A-Za-z0-9._-]{1,100}")) {
            return "a test name is letters, digits, '.', '_' and '-'";
        }
        if (readOnlyClients < 0
                || readOnlyClients >= concurrency
                || (readOnlyClients > 0 && !workload.equals("register") && !workload.equals("kv"))) {
            return "--read-only-clients must be below --concurrency, and is for the register and kv workloads";
        }
        return null;
    }

    String bugName() {
        return bug.equals("local-reads") ? "unsafe-reads" : bug;
    }

    String testName(String workloadName) {
        return name != null ? name : "linden-" + workloadName;
    }

    /** Simulator only: where each node's core inputs are recorded (SimCommand's --record-core); null: none. */
    Path recordCores;

    /** The test these options declare, for one workload and seed. */
    TestSpec spec(String workloadName, long seed) {
        SimOptions sim =
                SimOptions.withBug(bugName()).withRecordCores(recordCores).withKvApi(KvApi.parse(kvApi));
        FaultSchedule.Options schedule = FaultSchedule.Options.defaults(FaultKind.parseList(nemesis), nodes)
                .withIntensity(intensity)
                .withRecoveryMillis(Math.round(recoveryWindowSeconds * 1000));
        TestSpec.Builder base = !env.equals("sim")
                ? TestSpec.builder()
                        .cluster(env, LocalTestCluster.factory(localOptions(seed)))
                        .phaseWallLimitMillis(Math.round(timeLimitSeconds * 1000) + 300_000)
                : Simulation.test(sim);
        if (!env.equals("sim")) {
            local.settings(seed, bugName()).describe().forEach(base::option);
            if (!bugName().equals("none")) {
                base.option("bug", bugName());
            }
            if (!kvApi.equals("plain")) {
                base.option("kv-api", kvApi);
            }
        }
        return base.name(testName(workloadName))
                .nodes(nodes)
                .workload(workloadName)
                .keys(keys)
                .nemesis(nemesis)
                .schedule(schedule)
                .timeLimitMillis(Math.round(timeLimitSeconds * 1000))
                .rate(rate)
                .concurrency(concurrency)
                .readOnlyClients(readOnlyClients)
                .seed(seed)
                .checkOptions(new Check.Options(Math.round(checkTimeLimitSeconds * 1000), 512L << 20, 1))
                .store(store)
                .argv(replayArgs(workloadName, seed))
                .build();
    }

    /**
     * How this run's node processes are started: the planted bug, the faults that need preparing (libfaketime,
     * tmpfs data dirs, spare nodes), reads and snapshots as given or drawn from the seed.
     */
    LocalEnvOptions localOptions(long seed) {
        Set<FaultKind> kinds = FaultKind.parseList(nemesis);
        return new LocalEnvOptions(
                bugName().equals("none") ? List.of() : List.of(bugName()),
                "256m",
                net,
                kinds.stream().anyMatch(FaultKind::movesClocks),
                kinds.contains(FaultKind.DISK_FULL),
                kinds.contains(FaultKind.REPLACE_NODE),
                toxiproxy,
                env.equals("docker"),
                local.settings(seed, bugName()),
                KvApi.parse(kvApi));
    }

    /** The command line that runs exactly this test again. */
    List<String> replayArgs(String workloadName, long seed) {
        List<String> a = new ArrayList<>(List.of(
                "./linden",
                "test",
                "--env",
                env,
                "--nodes",
                String.valueOf(nodes),
                "--workload",
                workloadName,
                "--nemesis",
                nemesis,
                "--time-limit",
                trim(timeLimitSeconds),
                "--rate",
                trim(rate),
                "--concurrency",
                String.valueOf(concurrency)));
        if (toxiproxy != null) {
            a.addAll(List.of("--toxiproxy", toxiproxy));
        }
        if (!net.equals("proxy")) {
            a.addAll(List.of("--net", net));
        }
        if (!workloadName.equals("register") && !workloadName.equals("set")) {
            a.addAll(List.of("--keys", String.valueOf(keys)));
        }
        if (readOnlyClients > 0) {
            a.addAll(List.of("--read-only-clients", String.valueOf(readOnlyClients)));
        }
        if (!kvApi.equals("plain")) {
            a.addAll(List.of("--kv-api", kvApi));
        }
        if (intensity != 1.0) {
            a.addAll(List.of("--intensity", trim(intensity)));
        }
        if (recoveryWindowSeconds != 0) {
            a.addAll(List.of("--recovery-window", trim(recoveryWindowSeconds)));
        }
        if (checkTimeLimitSeconds != 60) {
            a.addAll(List.of("--check-time-limit", trim(checkTimeLimitSeconds)));
        }
        if (name != null) {
            a.addAll(List.of("--name", name));
        }
        if (!store.equals(Path.of("store"))) {
            a.addAll(List.of("--store", store.toString()));
        }
        if (!bugName().equals("none")) {
            a.addAll(List.of("--bug", bugName()));
        }
        if (!env.equals("sim")) {
            a.addAll(LocalRunOptions.replayArgs(local.settings(seed, bugName())));
        }
        a.addAll(List.of("--seed", String.valueOf(seed)));
        return a;
    }

    static String trim(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.format(Locale.ROOT, "%s", d);
    }
}
