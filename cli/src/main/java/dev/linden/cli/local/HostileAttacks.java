package dev.linden.cli.local;

import dev.linden.kvnode.client.KvClient;
import dev.linden.kvnode.client.ClientCore;
import dev.linden.kvnode.kv.KvResult;
import dev.linden.kvnode.net.Wire;
import dev.linden.nemesis.FaultOps;
import dev.linden.nemesis.Targets;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The {@code hostile} faults (issue 24) on real node processes: the harness itself attacks the nodes it
 * started, as a careless or hostile client or a stranger on the network would. Each fault is a start and
 * a stop; the start opens what it attacks with and answers (an {@code :info} completion) with what it did
 * and what the cluster did; the stop closes every connection, client and helper process the start opened
 * and answers with what happened meanwhile. The heal and the end of the run stop whatever is still active.
 *
 * <p>Attacks run on a thread of their own (the runner's thread never waits on them), go only to loopback
 * ports of this run's nodes ({@link AttackChannels}), and are bounded in connections, bytes, calls and time.
 */
final class HostileAttacks implements AutoCloseable {
    /** Most time a start may spend before it answers (the attack goes on in the background until its stop). */
    static final long START_WAIT_MILLIS_MAX = 15_000;
    /** Connections to one node's client port, at most (the port admits 1,024 by default). */
    static final int CLIENT_CONNECTIONS_PER_NODE_MAX = 4_000;
    /** Connections one helper process holds, at most: a node's own limit (20,000 here) less a reserve. */
    static final int CONNECTIONS_PER_HELPER_MAX = 17_000;
    static final int HELPERS_MAX = 3;
    /** Connects in flight at once from the harness. */
    static final int PENDING_CONNECTS_MAX = 200;

    /** An attack under way; {@link #stop} closes everything it opened and says what happened. */
    interface Attack {
        Object stop();
    }

    final LocalTestCluster c;
    final AttackChannels channels = new AttackChannels();
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "linden-hostile");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, Attack> active = new ConcurrentHashMap<>();
    /** Helper processes of a peer connection flood, for the cleanup on close. */
    private final List<Process> helpers = new java.util.concurrent.CopyOnWriteArrayList<>();

    HostileAttacks(LocalTestCluster c) {
        this.c = c;
    }

    static boolean handles(String f) {
        return f.endsWith("-answer-flood") || f.endsWith("-conn-flood") || f.endsWith("-half-frames")
                || f.endsWith("-forged-peer");
    }

    /** Runs {@code f} on the attack thread; {@code done} gets its evidence. */
    void invoke(String f, Map<String, Object> v, Consumer<Object> done) {
        worker.execute(() -> {
            Object r;
            try {
                r = apply(f, v);
            } catch (IOException | RuntimeException e) {
                r = FaultOps.noEffect("failed: " + e);
            }
            done.accept(r);
        });
    }

    private Object apply(String f, Map<String, Object> v) throws IOException {
        boolean start = f.startsWith("start-");
        String name = f.substring(start ? "start-".length() : "stop-".length());
        if (!start) {
            Attack a = active.remove(name);
            return a == null ? FaultOps.noEffect("no " + name + " was active") : a.stop();
        }
        if (active.containsKey(name)) {
            return FaultOps.noEffect(name + " is already active");
        }
        Map<Integer, Process> before = new TreeMap<>(c.processes);
        Map<String, Object> nodesBefore = nodesNow();
        Map<Integer, Long> logMarks = logSizes();
        Result r = switch (name) {
            case "answer-flood" -> answerFlood(number(v, "calls", FaultOps.ANSWER_FLOOD_CALLS),
                    number(v, "value-bytes", FaultOps.ANSWER_FLOOD_VALUE_BYTES));
            case "client-conn-flood" -> clientConnFlood(targets(v), number(v, "connections-per-node",
                    FaultOps.CLIENT_CONNECTIONS_PER_NODE));
            case "peer-conn-flood" -> peerConnFlood(targets(v), number(v, "connections-per-node",
                    FaultOps.PEER_CONNECTIONS_PER_NODE));
            case "half-frames" -> new HalfFrames(this, "peer".equals(v.get("port")), targets(v),
                    number(v, "frames-per-node", FaultOps.HALF_FRAMES_PER_NODE),
                    number(v, "frame-bytes", 2L << 20)).start();
            case "forged-peer" -> new ForgedPeer(this, number(v, "term-jump", 1_000)).start();
            default -> throw new IllegalArgumentException("not a hostile fault: " + f);
        };
        if (r.attack != null) {
            active.put(name, () -> withNodes(r.attack.stop(), before, nodesBefore, logMarks));
        }
        return withNodes(r.evidence, before, nodesBefore, logMarks);
    }

    /** What a start did, and the attack to stop later (null if nothing is held). */
    record Result(Object evidence, Attack attack) {}

    /**
     * Adds the nodes' state then and now, those that exited by themselves since {@code before}, and the
     * telling lines their logs gained since {@code logMarks}.
     */
    private Object withNodes(Object evidence, Map<Integer, Process> before, Map<String, Object> nodesBefore,
                             Map<Integer, Long> logMarks) {
        if (!(evidence instanceof Map<?, ?> m)) {
            return evidence;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        m.forEach((k, x) -> out.put(String.valueOf(k), x));
        if (nodesBefore != null) {
            out.put("nodes-at-start", nodesBefore);
        }
        out.put("nodes", nodesNow());
        Map<String, Object> exited = new TreeMap<>();
        before.forEach((id, p) -> {
            // Still the node's process (one the nemesis killed and started again is not), and not killed now.
            if (!p.isAlive() && c.processes.get(id) == p && !c.killedByNemesis.contains(id)) {
                exited.put(String.valueOf(id), p.exitValue());
            }
        });
        out.put("nodes-exited-by-themselves", exited);
        out.put("node-log-lines-since-start", logLines(logMarks));
        return out;
    }

    /** What the nodes' logs say when an attack hurts; each counted in the lines an attack's window added. */
    static final List<String> TELLING = List.of("OutOfMemoryError", "OutOfDirectMemoryError", "Too many open files",
            "InvariantViolation", "fatal error");
    /** Most bytes of one node's log read for one piece of evidence. */
    static final long LOG_BYTES_READ_MAX = 32L << 20;

    private Map<Integer, Long> logSizes() {
        Map<Integer, Long> m = new TreeMap<>();
        for (int id : c.nodes()) {
            m.put(id, c.dataDir(id).resolve("stdout.log").toFile().length());
        }
        return m;
    }

    /** Per node, how many lines added since {@code marks} name each {@link #TELLING} thing (none: left out). */
    private Map<String, Object> logLines(Map<Integer, Long> marks) {
        Map<String, Object> out = new TreeMap<>();
        marks.forEach((id, from) -> {
            Map<String, Long> counts = new TreeMap<>();
            try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(c.dataDir(id).resolve("stdout.log").toFile(), "r")) {
                long length = f.length();
                long start = Math.max(from, length - LOG_BYTES_READ_MAX);
                byte[] b = new byte[(int) Math.max(0, length - start)];
                f.seek(start);
                f.readFully(b);
                for (String line : new String(b, StandardCharsets.UTF_8).split("\n")) {
                    for (String t : TELLING) {
                        if (line.contains(t)) {
                            counts.merge(t, 1L, Long::sum);
                        }
                    }
                }
            } catch (IOException e) {
                counts.put("log unreadable", 1L);
            }
            if (!counts.isEmpty()) {
                out.put(String.valueOf(id), counts);
            }
        });
        return out;
    }

    /** Stops every active attack (the heal; the end of the run); returns what each said. */
    List<String> stopAll() {
        Future<List<String>> f = worker.submit(() -> {
            List<String> out = new ArrayList<>();
            for (String name : new ArrayList<>(active.keySet())) {
                Attack a = active.remove(name);
                if (a != null) {
                    out.add(name + ": " + a.stop());
                }
            }
            return out;
        });
        try {
            return f.get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            return List.of("stopping the attacks failed: " + e);
        }
    }

    @Override
    public void close() {
        if (!active.isEmpty()) {
            stopAll();
        }
        for (Process p : helpers) {
            p.destroyForcibly();
        }
        worker.shutdownNow();
        channels.close();
    }

    // ------------------------------------------------------------------ evidence

    /** Each node now: role, term, leader and commit index as it answers, or why not. */
    Map<String, Object> nodesNow() {
        Map<String, Object> out = new TreeMap<>();
        for (int id : c.nodes()) {
            Process p = c.processes.get(id);
            if (p == null) {
                out.put(String.valueOf(id), "not started");
            } else if (!p.isAlive()) {
                out.put(String.valueOf(id), "exited with code " + p.exitValue());
            } else if (c.paused.contains(id)) {
                out.put(String.valueOf(id), "paused");
            } else {
                try {
                    Wire.StatusResponse s = c.statusClient().status(id).get(1_500, TimeUnit.MILLISECONDS);
                    out.put(String.valueOf(id), s.role() + " term " + s.term() + " leader " + s.leaderId() + " commit "
                            + s.commitIndex());
                } catch (Exception e) {
                    out.put(String.valueOf(id), "not answering");
                }
            }
        }
        return out;
    }

    /** Whether a new client gets an answer from node {@code id} (its status) within 3 s. */
    String newClientAnswers(int id) {
        try (KvClient probe = new KvClient(Map.of(id, c.clientAddress(id)), new KvClient.Options(1_000, 3_000, 1))) {
            Wire.StatusResponse s = probe.status(id).get(3_500, TimeUnit.MILLISECONDS);
            return "answered (" + s.role() + ")";
        } catch (Exception e) {
            return "no answer: " + (e.getCause() != null ? e.getCause() : e);
        }
    }

    private List<Integer> targets(Map<String, Object> v) {
        return Targets.resolve(String.valueOf(v.getOrDefault("targets", "one")), c.nodes(), c.leader(true), c.random);
    }

    private static int number(Map<String, Object> v, String key, long dflt) {
        Object x = v.get(key);
        return (int) Math.min(Integer.MAX_VALUE, x instanceof Number n ? n.longValue() : dflt);
    }

    // ------------------------------------------------------------------ answer flood

    /**
     * One ordinary client with a session puts a large value, then sends {@code calls} compare-and-sets that
     * expect something else, all at once: every answer carries the value, and every replica's session keeps
     * the answers of requests not yet acknowledged (here, all of them).
     */
    private Result answerFlood(int callsAsked, int valueBytesAsked) {
        int calls = Math.max(1, Math.min(callsAsked, ClientCore.MAX_OPEN_REQUESTS));
        int valueBytes = Math.max(1, Math.min(valueBytesAsked, 1 << 20)); // a request may carry 2 MiB at most
        String key = "hostile-answer-flood";
        KvClient kv = new KvClient(c.clientEndpoints(), new KvClient.Options(2_000, START_WAIT_MILLIS_MAX, calls));
        String put;
        try {
            KvResult r = kv.put(key, "v".repeat(valueBytes)).get(START_WAIT_MILLIS_MAX, TimeUnit.MILLISECONDS);
            put = r.status().toString();
        } catch (Exception e) {
            kv.close();
            return new Result(FaultOps.noEffect("the large value could not be written: " + e), null);
        }
        AtomicLong mismatched = new AtomicLong();
        AtomicLong answerBytes = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        Map<String, Long> failures = new ConcurrentHashMap<>();
        CountDownLatch answered = new CountDownLatch(calls);
        long t0 = System.nanoTime();
        for (int i = 0; i < calls; i++) {
            // Counted and dropped as they come: the harness keeps none of the answers.
            kv.cas(key, "hostile-expects-" + i, "x").whenComplete((r, e) -> {
                if (e != null) {
                    failed.incrementAndGet();
                    failures.merge(e.getClass().getSimpleName(), 1L, Long::sum);
                } else if (r.status() == KvResult.Status.CAS_MISMATCH) {
                    mismatched.incrementAndGet();
                    answerBytes.addAndGet(r.value() == null ? 0 : r.value().length());
                }
                answered.countDown();
            });
        }
        try {
            answered.await(START_WAIT_MILLIS_MAX + 2_000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Object evidence = FaultOps.effect("one client with a session sent compare-and-sets that mismatch a large value",
                "value-bytes", valueBytes, "put", put, "calls", calls, "answered-mismatch", mismatched.get(),
                "answer-bytes", answerBytes.get(), "failed", failed.get(), "failures", new TreeMap<>(failures),
                "unanswered", answered.getCount(), "ms", (System.nanoTime() - t0) / 1_000_000);
        return new Result(evidence, () -> {
            kv.close();
            return FaultOps.effect("the flooding client closed", "answered-mismatch", mismatched.get(),
                    "failed", failed.get());
        });
    }

    // ------------------------------------------------------------------ connection floods

    /** Waves of connections one target of a client connection flood gets at most (the first, then refills). */
    static final int CLIENT_FLOOD_WAVES_MAX = 10;
    static final long CLIENT_FLOOD_REFILL_EVERY_MILLIS = 1_000;

    /**
     * Idle connections to the targets' client ports, held until the stop; then a new client tries each target.
     * A target that lost most of them (it was killed and started again) gets a new wave, as a client that
     * means to keep the slots would do, at most {@link #CLIENT_FLOOD_WAVES_MAX} per target.
     */
    private Result clientConnFlood(List<Integer> targets, int perNodeAsked) {
        long spare = AttackChannels.spareHandles();
        int perNode = (int) Math.max(0, Math.min(Math.min(perNodeAsked, CLIENT_CONNECTIONS_PER_NODE_MAX),
                spare / Math.max(1, targets.size())));
        if (perNode == 0) {
            return new Result(FaultOps.noEffect("the harness has no file handles to spare", "spare-handles", spare), null);
        }
        Map<Integer, AttackChannels.Tally> tallies = new TreeMap<>();
        Map<Integer, Integer> waves = new ConcurrentHashMap<>();
        for (int id : targets) {
            tallies.put(id, new AttackChannels.Tally());
            open(c.clientAddress(id), perNode, tallies.get(id));
            waves.put(id, 1);
        }
        sleep(500); // the node closes what it does not admit right after accepting it
        Map<String, Object> probes = new TreeMap<>();
        for (int id : targets) {
            probes.put(String.valueOf(id), newClientAnswers(id));
        }
        if (sum(tallies, t -> t.opened.get()) == 0) {
            return new Result(FaultOps.noEffect("no connection opened", "targets", targets,
                    "failed", sum(tallies, t -> t.failed.get())), null);
        }
        java.util.concurrent.atomic.AtomicBoolean stopped = new java.util.concurrent.atomic.AtomicBoolean();
        Runnable[] refill = new Runnable[1];
        refill[0] = () -> {
            if (stopped.get()) {
                return;
            }
            tallies.forEach((id, t) -> {
                if (t.open.size() < perNode / 2 && waves.get(id) < CLIENT_FLOOD_WAVES_MAX && c.alive(id)) {
                    waves.merge(id, 1, Integer::sum);
                    for (int i = 0; i < perNode; i++) {
                        channels.connect(c.clientAddress(id), AttackChannels.Credentials.NONE, t, p -> { });
                    }
                }
            });
            channels.schedule(refill[0], CLIENT_FLOOD_REFILL_EVERY_MILLIS);
        };
        channels.schedule(refill[0], CLIENT_FLOOD_REFILL_EVERY_MILLIS);
        Object evidence = FaultOps.effect("idle connections to client ports", "targets", targets,
                "connections-per-node", perNode, "opened", sum(tallies, t -> t.opened.get()),
                "failed", sum(tallies, t -> t.failed.get()), "closed-by-node", sum(tallies, t -> t.closedByNode.get()),
                "held", sum(tallies, t -> (long) t.open.size()), "new-client", probes);
        return new Result(evidence, () -> {
            stopped.set(true);
            long held = sum(tallies, t -> (long) t.open.size());
            long closed = sum(tallies, AttackChannels.Tally::closeAll);
            Map<String, Object> after = new TreeMap<>();
            sleep(200);
            for (int id : targets) {
                after.put(String.valueOf(id), newClientAnswers(id));
            }
            return FaultOps.effect("connections closed", "held-until-stop", held, "closed", closed,
                    "opened", sum(tallies, t -> t.opened.get()), "closed-by-node-meanwhile",
                    sum(tallies, t -> t.closedByNode.get()), "waves", new TreeMap<>(waves), "new-client-after", after);
        });
    }

    private static long sum(Map<Integer, AttackChannels.Tally> tallies, java.util.function.ToLongFunction<AttackChannels.Tally> f) {
        return tallies.values().stream().mapToLong(f).sum();
    }

    /** Opens {@code count} plain connections to {@code to}, at most {@link #PENDING_CONNECTS_MAX} connecting at once. */
    void open(InetSocketAddress to, int count, AttackChannels.Tally tally) {
        List<io.netty.channel.ChannelFuture> batch = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            batch.add(channels.connect(to, AttackChannels.Credentials.NONE, tally, p -> { }));
            if (batch.size() >= PENDING_CONNECTS_MAX || i == count - 1) {
                for (io.netty.channel.ChannelFuture f : batch) {
                    f.awaitUninterruptibly(3_000);
                }
                batch.clear();
            }
        }
    }

    /**
     * Idle connections to the targets' peer ports, held by helper processes ({@link ConnectionHolder}): a node
     * has as many file handles as the harness, so the harness alone could not use up a node's.
     */
    private Result peerConnFlood(List<Integer> targets, int perNodeAsked) throws IOException {
        if (targets.isEmpty()) {
            return new Result(FaultOps.noEffect("no target (no follower?)"), null);
        }
        int perNode = Math.min(perNodeAsked, ConnectionHolder.MAX_CONNECTIONS);
        long total = (long) perNode * targets.size();
        int helperCount = (int) Math.min(HELPERS_MAX, (total + CONNECTIONS_PER_HELPER_MAX - 1) / CONNECTIONS_PER_HELPER_MAX);
        // Each helper takes an equal share of every target's connections.
        List<Process> mine = new ArrayList<>();
        List<String> said = new ArrayList<>();
        long opened = 0;
        long failed = 0;
        for (int h = 0; h < helperCount; h++) {
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                    ConnectionHolder.class.getName()));
            for (int id : targets) {
                cmd.add(c.peerPort(id) + ":" + Math.min(CONNECTIONS_PER_HELPER_MAX / targets.size(),
                        (perNode + helperCount - 1) / helperCount));
            }
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            helpers.add(p);
            mine.add(p);
        }
        for (Process p : mine) {
            String line = firstLine(p, 30_000);
            said.add(line);
            String[] w = line.split(" ");
            if (w.length >= 4 && w[0].equals("opened")) {
                opened += Long.parseLong(w[1]);
                failed += Long.parseLong(w[3]);
            }
        }
        if (opened == 0) {
            for (Process p : mine) {
                stopHelper(p);
                helpers.remove(p);
            }
            return new Result(FaultOps.noEffect("no connection opened", "targets", targets, "helpers-said", said), null);
        }
        sleep(1_000);
        Map<String, Object> probes = new TreeMap<>();
        for (int id : targets) {
            probes.put(String.valueOf(id), newClientAnswers(id));
        }
        Object evidence = FaultOps.effect("idle connections to peer ports, held by helper processes", "targets", targets,
                "connections-per-node", perNode, "helpers", helperCount, "opened", opened, "failed", failed,
                "helpers-said", said, "new-client", probes);
        return new Result(evidence, () -> {
            List<String> closing = new ArrayList<>();
            for (Process p : mine) {
                closing.add(stopHelper(p));
                helpers.remove(p);
            }
            return FaultOps.effect("helpers closed their connections and exited", "helpers-said", closing);
        });
    }

    private final Map<Process, BufferedReader> readers = new ConcurrentHashMap<>();

    /** The helper's next line of output, waiting at most {@code millis} (the helper is killed past that). */
    private String firstLine(Process p, long millis) {
        BufferedReader r = readers.computeIfAbsent(p, x -> new BufferedReader(new InputStreamReader(x.getInputStream(),
                StandardCharsets.UTF_8)));
        java.util.concurrent.CompletableFuture<String> line = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                String s = r.readLine();
                return s == null ? "exited with code " + p.waitFor() : s;
            } catch (IOException e) {
                return "unreadable: " + e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "interrupted";
            }
        });
        try {
            return line.get(millis, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            p.destroyForcibly();
            return "no answer within " + millis + " ms; killed";
        }
    }

    /** Tells a helper to close its connections and exit; kills it if it does not within 10 s. */
    private String stopHelper(Process p) {
        try (OutputStream in = p.getOutputStream()) {
            in.write("stop\n".getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            // already gone: its connections went with it
        }
        String said = p.isAlive() || readers.containsKey(p) ? firstLine(p, 10_000) : "exited";
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
        }
        readers.remove(p);
        return said;
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
