package dev.linden.sim;

import dev.linden.kvadapter.KvCommands;
import dev.linden.kvadapter.KvCompletions;
import dev.linden.kvnode.client.ClientCore;
import dev.linden.kvnode.kv.KvCommand;
import dev.linden.kvnode.kv.KvResult;
import dev.linden.kvnode.net.FrameReader;
import dev.linden.kvnode.net.Wire;
import dev.linden.kvnode.service.ClientRequest;
import dev.linden.kvnode.service.ClientResponse;
import dev.linden.workloads.Client;
import dev.linden.workloads.Completion;
import dev.linden.workloads.Workload;
import dev.linden.workloads.gen.Op;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * A simulated client of one worker thread: the harness's {@link Client} over the simulated network. Its
 * logic is the production client's own {@link ClientCore} (sessions, redirects, retries, late answers, the
 * indeterminate-or-failed decision); this class only binds it to the simulated network, clock and seed, and
 * maps outcomes to Jepsen's: ok, fail (certainly not applied), info (unknown). Deadlines are drawn from the
 * seed: most operations give up after a second, some wait five. A CAS whose expected value did not match
 * fails: it certainly changed nothing.
 */
final class SimClient implements Client {
    /** The longest an operation waits before it is recorded as info (or fail). */
    static final long OP_TIMEOUT_NANOS = 5_000_000_000L;

    private static final long SHORT_OP_TIMEOUT_NANOS = 1_000_000_000L;
    private static final long ATTEMPT_TIMEOUT_NANOS = 250_000_000L;

    private final Simulation sim;
    private final SimLoop loop;
    private final SplittableRandom random;
    private final Workload workload;
    final int address;
    private final int index;
    private final ClientCore core;
    /** The client's frame reader: answers are read as its Netty pipeline reads them. */
    private final FrameReader answerFrames = new FrameReader(Wire.DEFAULT_MAX_FRAME_BYTES);

    private int sessionGeneration;
    private boolean busy;
    private boolean closed;

    /** Writes acknowledged to this client, {sessionId, seq}: each must be in the applied log. */
    final List<long[]> ackedWrites = new ArrayList<>();

    SimClient(Simulation sim, SimLoop loop, SplittableRandom random, Workload workload, int index) {
        this.sim = sim;
        this.loop = loop;
        this.random = random;
        this.workload = workload;
        this.address = SimNetwork.CLIENT_BASE + index;
        this.index = index;
        List<Integer> nodes = new ArrayList<>();
        for (int n = 1; n <= sim.nodeCount(); n++) {
            nodes.add(n);
        }
        this.core = new ClientCore(
                nodes,
                1 + random.nextInt(sim.nodeCount()),
                ATTEMPT_TIMEOUT_NANOS,
                new SimDriver(),
                () -> 1_000_000L * (++sessionGeneration) + index);
    }

    /**
     * An answer's frame arrives: read as the client's pipeline reads it (the production frame reader and
     * strict decoding); a frame that does not decode is dropped, as a real client drops that connection.
     */
    private void answerArrived(byte[] frame) {
        Object answer;
        try {
            answer = answerFrames.decodeFrame(frame);
        } catch (Wire.BadFrameException e) {
            sim.network().framesRefused++;
            return;
        }
        if (answer instanceof ClientResponse response) {
            core.onResponse(response);
        }
    }

    /** A node joined the run: requests may go to it (a leader's redirect to it is followed). */
    void nodeAdded(int id) {
        core.addNode(id);
    }

    /** The core's world: the simulated network to the nodes, the loop's clock and timers, the seed. */
    private final class SimDriver implements ClientCore.Driver {
        @Override
        public long nowNanos() {
            return loop.nowNanos();
        }

        @Override
        public void send(int node, ClientRequest request) {
            sim.network()
                    .sendFrame(
                            address,
                            node,
                            FrameReader.encode(request),
                            frame -> sim.node(node).receiveClient(frame, address, SimClient.this::answerArrived));
        }

        @Override
        public void schedule(long delayNanos, Runnable task) {
            loop.at(Math.max(0, delayNanos), SimLoop.CLIENT, address, task);
        }

        @Override
        public void watchAttempt(long requestId, long deadlineNanos) {
            loop.at(
                    Math.max(0, deadlineNanos - loop.nowNanos()),
                    SimLoop.CLIENT,
                    address,
                    () -> core.checkAttempt(requestId));
        }

        @Override
        public int nextInt(int bound) {
            return random.nextInt(bound);
        }
    }

    @Override
    public void invoke(Op operation, Consumer<Completion> onDone) {
        if (busy || closed) {
            throw new IllegalStateException(
                    "client " + index + " is " + (closed ? "closed" : "busy with an operation"));
        }
        busy = true;
        if (!operation.f().equals("read")) {
            sim.liveness().writeInvoked();
        }
        long timeout = random.nextInt(5) == 0 ? OP_TIMEOUT_NANOS : SHORT_OP_TIMEOUT_NANOS;
        core.submit(KvCommands.of(workload.request(operation)), timeout, new ClientCore.Outcome() {
            @Override
            public void completed(KvCommand sent, KvResult result) {
                finish(onDone, onResult(operation, sent, result));
            }

            @Override
            public void failed(String why) {
                finish(onDone, Completion.fail(why));
            }

            @Override
            public void indeterminate(String why) {
                finish(onDone, Completion.info(why));
            }
        });
    }

    @Override
    public void close() {
        closed = true;
    }

    private Completion onResult(Op op, KvCommand sent, KvResult result) {
        if (result.status() == KvResult.Status.OK && sent.clientId() != 0) {
            ackedWrites.add(new long[] {sent.clientId(), sent.seq()}); // the command's own session and seq
        }
        return KvCompletions.of(workload, op, result);
    }

    private void finish(Consumer<Completion> onDone, Completion c) {
        busy = false; // before the completion: the runner may invoke the next operation from inside it
        if (!closed) {
            onDone.accept(c);
        }
    }
}
