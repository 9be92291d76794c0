package dev.linden.realenv;

import dev.linden.checker.history.OpType;
import dev.linden.kvnode.client.KvClient;
import dev.linden.kvnode.net.Wire;
import dev.linden.kvnode.tls.ClientSecurity;
import dev.linden.nemesis.FaultOps;
import dev.linden.nemesis.HostileFault;
import dev.linden.nemesis.HostileFault.Attack;
import dev.linden.nemesis.Nemesis.Answer;
import dev.linden.nemesis.Targets;
import dev.linden.workloads.Completion;
import io.netty.channel.ChannelFuture;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

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
    /** Connects in flight at once from the harness. */
    static final int PENDING_CONNECTS_MAX = 200;

    /** An attack under way; {@link #stop} closes everything it opened and says what happened. */
    interface Running {
        Object stop();
    }

    final LocalTestCluster c;
    final AttackChannels channels;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "linden-hostile");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, Running> active = new ConcurrentHashMap<>();
    /** Helper processes of a peer connection flood, for the cleanup on close. */
    final List<Process> helpers = new CopyOnWriteArrayList<>();

    HostileAttacks(LocalTestCluster c) {
        this.c = c;
        this.channels = new AttackChannels(credentials ->
                credentials == AttackChannels.Credentials.CLIENT ? clientSecurity() : ClientSecurity.plain());
    }

    private volatile ClientSecurity clientSecurity;

    /** An ordinary client's credentials of the cluster (what every client of it holds). */
    ClientSecurity clientSecurity() {
        if (clientSecurity == null) {
            clientSecurity = c.clientSecurity();
        }
        return clientSecurity;
    }

    /** Starts an attack, on the attack thread; may throw, as the attack's own setup may. */
    private interface Starter {
        Result start() throws IOException;
    }

    Answer answerFlood(HostileFault.StartAnswerFlood f) {
        return start(Attack.ANSWER_FLOOD, () -> new AnswerFlood(this).start(f.calls(), f.valueBytes()));
    }

    Answer clientConnFlood(HostileFault.StartClientConnFlood f) {
        return start(
                Attack.CLIENT_CONN_FLOOD,
                () -> new ClientConnFlood(this).start(targets(f.targets()), f.connectionsPerNode()));
    }

    Answer peerConnFlood(HostileFault.StartPeerConnFlood f) {
        return start(
                Attack.PEER_CONN_FLOOD,
                () -> new PeerConnFlood(this).start(targets(f.targets()), f.connectionsPerNode()));
    }

    Answer halfFrames(HostileFault.StartHalfFrames f) {
        return start(
                Attack.HALF_FRAMES,
                () -> new HalfFrames(this, f.peerPort(), targets(f.targets()), f.framesPerNode(), f.frameBytes())
                        .start());
    }

    Answer forgedPeer(HostileFault.StartForgedPeer f) {
        return start(Attack.FORGED_PEER, () -> {
            AttackChannels.Credentials creds = AttackChannels.Credentials.parse(f.credentials());
            return creds == null
                    ? new Result(
                            FaultOps.noEffect(
                                    "no credentials '" + f.credentials() + "' here yet (the ports have no TLS)"),
                            null)
                    : new ForgedPeer(this, f.termJump(), creds).start();
        });
    }

    /** An ordinary client asks what only an admin may, on the attack thread; ends by itself with the answers. */
    Answer rogueOperator(HostileFault.RogueOperator f) {
        return onWorker(() -> new RogueOperator(this).ask(targets(f.targets()).get(0)));
    }

    /** Stops {@code attack}, on the attack thread: closes what its start opened and says what happened. */
    Answer stop(Attack attack) {
        return onWorker(() -> {
            Running a = active.remove(attack.text());
            return a == null ? FaultOps.noEffect("no " + attack.text() + " was active") : a.stop();
        });
    }

    /**
     * Starts an attack on the attack thread unless it is active already, and answers with what it did and what
     * the nodes did (an attack takes seconds, and the runner's thread must not wait for it).
     */
    private Answer start(Attack attack, Starter starter) {
        String name = attack.text();
        return onWorker(() -> {
            if (active.containsKey(name)) {
                return FaultOps.noEffect(name + " is already active");
            }
            Map<Integer, Process> before = new TreeMap<>(c.processes);
            Map<String, Object> nodesBefore = nodesNow();
            Map<Integer, Long> logMarks = logSizes();
            Result r = starter.start();
            if (r.attack != null) {
                active.put(name, () -> withNodes(r.attack.stop(), before, nodesBefore, logMarks));
            }
            return withNodes(r.evidence, before, nodesBefore, logMarks);
        });
    }

    /** Evidence computed on the attack thread; may throw, and then says so. */
    private interface Work {
        Object run() throws IOException;
    }

    /** Runs {@code work} on the attack thread; the completion goes through the cluster's scheduler. */
    private Answer onWorker(Work work) {
        return Answer.later(done -> worker.execute(() -> {
            Object r;
            try {
                r = work.run();
            } catch (IOException | RuntimeException e) {
                r = FaultOps.noEffect("failed: " + e);
            }
            Object evidence = r;
            c.scheduler.schedule(0, () -> done.accept(new Completion(OpType.INFO, evidence, null)));
        }));
    }

    /** What a start did, and the attack to stop later (null if nothing is held). */
    record Result(Object evidence, Running attack) {}

    /**
     * Adds the nodes' state then and now, those that exited by themselves since {@code before}, and the
     * telling lines their logs gained since {@code logMarks}.
     */
    private Object withNodes(
            Object evidence,
            Map<Integer, Process> before,
            Map<String, Object> nodesBefore,
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
    static final List<String> TELLING = List.of(
            "OutOfMemoryError", "OutOfDirectMemoryError", "Too many open files", "InvariantViolation", "fatal error");
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
            try (RandomAccessFile f =
                    new RandomAccessFile(c.dataDir(id).resolve("stdout.log").toFile(), "r")) {
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
        if (worker.isShutdown()) {
            return List.of();
        }
        Future<List<String>> f = worker.submit(() -> {
            List<String> out = new ArrayList<>();
            for (String name : new ArrayList<>(active.keySet())) {
                Running a = active.remove(name);
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

    private final AtomicBoolean closed = new AtomicBoolean();

    /** Stops what is active, kills any helper left, and ends the attack thread and event loop; once. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
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
                    out.put(
                            String.valueOf(id),
                            s.role() + " term " + s.term() + " leader " + s.leaderId() + " commit " + s.commitIndex());
                } catch (Exception e) {
                    out.put(String.valueOf(id), "not answering");
                }
            }
        }
        return out;
    }

    /** Whether a new client gets an answer from node {@code id} (its status) within 3 s. */
    String newClientAnswers(int id) {
        try (KvClient probe = new KvClient(
                Map.of(id, c.clientAddress(id)), new KvClient.Options(1_000, 3_000, 1), null, clientSecurity())) {
            Wire.StatusResponse s = probe.status(id).get(3_500, TimeUnit.MILLISECONDS);
            return "answered (" + s.role() + ")";
        } catch (Exception e) {
            return "no answer: " + (e.getCause() != null ? e.getCause() : e);
        }
    }

    private List<Integer> targets(String spec) {
        return Targets.resolve(spec, c.nodes(), c.leader(true), c.random);
    }

    /** Opens {@code count} connections to {@code to}, at most {@link #PENDING_CONNECTS_MAX} connecting at once. */
    void open(InetSocketAddress to, AttackChannels.Credentials credentials, int count, AttackChannels.Tally tally) {
        List<ChannelFuture> batch = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            batch.add(channels.connect(to, credentials, tally, p -> {}));
            if (batch.size() >= PENDING_CONNECTS_MAX || i == count - 1) {
                for (ChannelFuture f : batch) {
                    f.awaitUninterruptibly(3_000);
                }
                batch.clear();
            }
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
