package dev.linden.harness;

import dev.linden.nemesis.FaultKind;
import dev.linden.nemesis.FaultSchedule;
import dev.linden.workloads.Workload;
import dev.linden.workloads.check.Check;
import dev.linden.workloads.gen.Generator;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A test, declared once as data: which cluster, workload, faults and generators, how long and how hard,
 * the seed, and the checks. {@link #run()} runs it and returns the result; the same spec and seed on the
 * simulator give the same history, byte for byte. Build one with {@link #builder()}:
 *
 * <pre>{@code
 * TestResult r = TestSpec.builder()
 *         .cluster("sim", Simulation.factory(SimOptions.defaults()))
 *         .workload("list-append").nodes(5).nemesis("partition,kill").timeLimitSeconds(20).seed(7)
 *         .build().run();
 * assertEquals(Validity.TRUE, r.valid(), r.summary());
 * }</pre>
 */
public record TestSpec(
        String name,
        String env,
        Cluster.Factory cluster,
        int nodes,
        String workload,
        int keys,
        Set<FaultKind> faults,
        FaultSchedule.Options schedule,
        Generator clientGenerator,
        Generator nemesisGenerator,
        int concurrency,
        int readOnlyClients,
        long timeLimitMillis,
        double rate,
        long seed,
        Check.Options checkOptions,
        long recoveryWaitMillis,
        long finalTimeLimitMillis,
        long convergenceMillis,
        long phaseWallLimitMillis,
        List<Check> extraChecks,
        Path storeRoot,
        List<String> argv,
        Consumer<String> progress,
        long progressEveryMillis,
        Map<String, Object> options) {

    public TestSpec {
        if (cluster == null) {
            throw new IllegalArgumentException("a test needs a cluster");
        }
        Workload.named(workload, Math.max(1, keys)); // fails early on an unknown workload
        if (nodes < 1
                || nodes > 9
                || concurrency < 1
                || concurrency > 10_000
                || timeLimitMillis < 1
                || !(rate > 0)
                || keys < 1
                || recoveryWaitMillis < 0
                || finalTimeLimitMillis < 1
                || convergenceMillis < 1
                || phaseWallLimitMillis < 1
                || progressEveryMillis < 1) {
            throw new IllegalArgumentException("bad test spec: nodes 1..9, concurrency >= 1, positive limits and rate");
        }
        if (readOnlyClients < 0 || readOnlyClients >= concurrency || (readOnlyClients > 0 && !readsOnly(workload))) {
            throw new IllegalArgumentException("read-only clients: fewer than the clients, for register or kv");
        }
        if (!name.matches("[A-Za-z0-9._-]{1,100}")) {
            throw new IllegalArgumentException("a test name is letters, digits, '.', '_' and '-': " + name);
        }
        faults = Set.copyOf(faults);
        extraChecks = List.copyOf(extraChecks);
        argv = List.copyOf(argv);
        options = Collections.unmodifiableMap(new LinkedHashMap<>(options));
    }

    private static boolean readsOnly(String workload) {
        return Workload.named(workload, 1).readOnlyGenerator() != null;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Runs the test. Never throws for a failing run or a harness error: the result says what happened. */
    public TestResult run() {
        return Runner.run(this);
    }

    /**
     * Runs the test without a store and, if it did not pass, runs it again (same seed, same run) stored
     * under {@code root}, so property tests keep only failing runs. The result's summary names the store
     * directory and {@link #replayCommand()}.
     */
    public TestResult runStoringFailures(Path root) {
        TestResult r = withStoreRoot(null).run();
        return r.passed() ? r : withStoreRoot(root).run();
    }

    /**
     * The {@code ./linden test} command that runs this test again: the command line it came from, or the builder's
     * settings as flags (a custom generator or check cannot be written as flags; then the command says so).
     */
    public String replayCommand() {
        return ReplayCommand.of(this);
    }

    /** Whether a nemesis was asked for: then a run in which no fault had any effect is unknown. */
    public boolean nemesisConfigured() {
        return nemesisGenerator != null || !faults.isEmpty();
    }

    /** This spec with another seed (sweeps). */
    public TestSpec withSeed(long s) {
        return toBuilder().seed(s).build();
    }

    /** This spec writing its store under {@code root} (null: not stored). */
    public TestSpec withStoreRoot(Path root) {
        return toBuilder().store(root).build();
    }

    public TestSpec withProgress(Consumer<String> p) {
        return toBuilder().progress(p).build();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.name = name;
        b.env = env;
        b.cluster = cluster;
        b.nodes = nodes;
        b.workload = workload;
        b.keys = keys;
        b.faults = EnumSet.noneOf(FaultKind.class);
        b.faults.addAll(faults);
        b.schedule = schedule;
        b.clientGenerator = clientGenerator;
        b.nemesisGenerator = nemesisGenerator;
        b.concurrency = concurrency;
        b.readOnlyClients = readOnlyClients;
        b.timeLimitMillis = timeLimitMillis;
        b.rate = rate;
        b.seed = seed;
        b.checkOptions = checkOptions;
        b.recoveryWaitMillis = recoveryWaitMillis;
        b.finalTimeLimitMillis = finalTimeLimitMillis;
        b.convergenceMillis = convergenceMillis;
        b.phaseWallLimitMillis = phaseWallLimitMillis;
        b.extraChecks = new ArrayList<>(extraChecks);
        b.storeRoot = storeRoot;
        b.argv = argv;
        b.progress = progress;
        b.progressEveryMillis = progressEveryMillis;
        b.options = new LinkedHashMap<>(options);
        return b;
    }

    /** Builds a {@link TestSpec}; every setting has a default but the cluster. */
    public static final class Builder {
        private String name = "linden";
        private String env = "sim";
        private Cluster.Factory cluster;
        private int nodes = 5;
        private String workload = "kv";
        private int keys = 5;
        private EnumSet<FaultKind> faults = EnumSet.copyOf(FaultKind.all());
        private FaultSchedule.Options schedule;
        private Generator clientGenerator;
        private Generator nemesisGenerator;
        private int concurrency = 5;
        private int readOnlyClients;
        private long timeLimitMillis = 30_000;
        private double rate = 200;
        private long seed = 1;
        private Check.Options checkOptions = Check.Options.defaults();
        private long recoveryWaitMillis = 2_000;
        private long finalTimeLimitMillis = 30_000;
        private long convergenceMillis = 20_000;
        private long phaseWallLimitMillis = 600_000;
        private List<Check> extraChecks = new ArrayList<>();
        private Path storeRoot;
        private List<String> argv = List.of();
        private Consumer<String> progress;
        private long progressEveryMillis = 5_000;
        private Map<String, Object> options = new LinkedHashMap<>();

        private Builder() {}

        /** The test's name: its store directory is {@code store/<name>/<timestamp>/}. */
        public Builder name(String n) {
            name = n;
            return this;
        }

        /** The cluster: {@code env} names it in test.json ("sim", "local"), {@code factory} builds it per run. */
        public Builder cluster(String envName, Cluster.Factory factory) {
            env = envName;
            cluster = factory;
            return this;
        }

        public Builder nodes(int n) {
            nodes = n;
            return this;
        }

        /** register, kv, list-append or set. */
        public Builder workload(String w) {
            workload = w;
            return this;
        }

        /** Keys the keyed workloads (kv, list-append) spread over. */
        public Builder keys(int k) {
            keys = k;
            return this;
        }

        /** Faults for the random schedule: all, none, families or names ({@link FaultKind#parseList}). */
        public Builder nemesis(String list) {
            return faults(FaultKind.parseList(list));
        }

        public Builder faults(Set<FaultKind> kinds) {
            faults = kinds.isEmpty() ? EnumSet.noneOf(FaultKind.class) : EnumSet.copyOf(kinds);
            return this;
        }

        /** The random schedule's timing (default: {@link FaultSchedule.Options#defaults}). */
        public Builder schedule(FaultSchedule.Options o) {
            schedule = o;
            return this;
        }

        /** Replaces the workload's client generator (the rate and time limit still apply). */
        public Builder clientGenerator(Generator g) {
            clientGenerator = g;
            return this;
        }

        /** Replaces the random fault schedule with a generator of nemesis operations ({@code Fault.op()}). */
        public Builder nemesisGenerator(Generator g) {
            nemesisGenerator = g;
            return this;
        }

        /** Client worker threads (Jepsen's concurrency). */
        public Builder concurrency(int c) {
            concurrency = c;
            return this;
        }

        /** Of those, the first {@code n} threads' processes only read ({@link Workload#readOnlyGenerator}). */
        public Builder readOnlyClients(int n) {
            readOnlyClients = n;
            return this;
        }

        public Builder timeLimitSeconds(double s) {
            timeLimitMillis = Math.round(s * 1000);
            return this;
        }

        public Builder timeLimitMillis(long ms) {
            timeLimitMillis = ms;
            return this;
        }

        /** Client operations per second, over all threads (Jepsen's stagger). */
        public Builder rate(double opsPerSecond) {
            rate = opsPerSecond;
            return this;
        }

        public Builder seed(long s) {
            seed = s;
            return this;
        }

        public Builder checkOptions(Check.Options o) {
            checkOptions = o;
            return this;
        }

        /** Quiet time between healing and the final phase. */
        public Builder recoveryWaitMillis(long ms) {
            recoveryWaitMillis = ms;
            return this;
        }

        /** How long the final phase's operations may take, retries included, before the run fails recovery. */
        public Builder finalTimeLimitMillis(long ms) {
            finalTimeLimitMillis = ms;
            return this;
        }

        /** How long replicas may take to converge once the clients stop. */
        public Builder convergenceMillis(long ms) {
            convergenceMillis = ms;
            return this;
        }

        /** Wall-clock deadline of each phase: past it the run stops with a harness error (and is still stored). */
        public Builder phaseWallLimitMillis(long ms) {
            phaseWallLimitMillis = ms;
            return this;
        }

        /** A check run besides the workload's (and stats, faults, recovery, convergence). */
        public Builder check(Check c) {
            extraChecks.add(c);
            return this;
        }

        /** Where runs are stored ({@code store/}); null: not stored. */
        public Builder store(Path root) {
            storeRoot = root;
            return this;
        }

        /** The command line that made this test (written to test.json, so analyze and replays can use it). */
        public Builder argv(List<String> a) {
            argv = a;
            return this;
        }

        /** Receives progress lines while the test runs (null: silent). */
        public Builder progress(Consumer<String> p) {
            progress = p;
            return this;
        }

        /** Run time between progress lines (simulated time in the simulator). */
        public Builder progressEveryMillis(long ms) {
            progressEveryMillis = ms;
            return this;
        }

        /** A cluster option recorded in test.json (for instance a deliberately broken variant). */
        public Builder option(String key, Object value) {
            options.put(key, value);
            return this;
        }

        public TestSpec build() {
            FaultSchedule.Options s = schedule != null ? schedule : FaultSchedule.Options.defaults(faults, nodes);
            if (!s.kinds().equals(faults) || s.nodes() != nodes) {
                s = new FaultSchedule.Options(
                        faults,
                        nodes,
                        s.meanGapMillis(),
                        s.minWindowMillis(),
                        s.maxWindowMillis(),
                        s.maxConcurrent(),
                        s.recoveryMillis());
            }
            return new TestSpec(
                    name,
                    env,
                    cluster,
                    nodes,
                    workload,
                    keys,
                    faults,
                    s,
                    clientGenerator,
                    nemesisGenerator,
                    concurrency,
                    readOnlyClients,
                    timeLimitMillis,
                    rate,
                    seed,
                    checkOptions,
                    recoveryWaitMillis,
                    finalTimeLimitMillis,
                    convergenceMillis,
                    phaseWallLimitMillis,
                    extraChecks,
                    storeRoot,
                    argv,
                    progress,
                    progressEveryMillis,
                    options);
        }
    }
}
