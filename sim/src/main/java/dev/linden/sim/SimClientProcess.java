package dev.linden.sim;

import dev.linden.kvnode.client.ClientCore;
import dev.linden.kvnode.kv.KvCommand;
import dev.linden.kvnode.net.FrameReader;
import dev.linden.kvnode.net.Wire;
import dev.linden.kvnode.service.ClientRequest;
import dev.linden.kvnode.service.ClientResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One client process of the simulation: the production {@link ClientCore} (sessions, redirects, retries,
 * late answers) on one connection address, shared by the workers ({@link SimClient}) of that process, as
 * a KvClient is shared by an application's threads. With more than one worker the core holds several
 * requests open at once, so the session's acknowledgement (lowest open sequence number - 1) lags the
 * newest sequence number, and nodes see pipelined requests in one read burst.
 */
final class SimClientProcess {
    private static final long ATTEMPT_TIMEOUT_NANOS = 250_000_000L;

    private final Simulation sim;
    private final SimLoop loop;
    private final SplittableRandom random;
    final int address;
    private final int index;
    private final ClientCore core;
    /** The client's frame reader: answers are read as its Netty pipeline reads them. */
    private final FrameReader answerFrames = new FrameReader(Wire.DEFAULT_MAX_FRAME_BYTES);

    private int sessionGeneration;
    /** Most requests this process had open at once. */
    int maxOpen;
    /** Session commands sent while a lower sequence number of their session was still open. */
    long sentWithLowerOpen;

    SimClientProcess(Simulation sim, SimLoop loop, SplittableRandom random, int index) {
        this.sim = sim;
        this.loop = loop;
        this.random = random;
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

    void submit(KvCommand command, long timeoutNanos, ClientCore.Outcome outcome) {
        core.submit(command, timeoutNanos, outcome);
        maxOpen = Math.max(maxOpen, core.open());
    }

    /** A node joined the run: requests may go to it (a leader's redirect to it is followed). */
    void nodeAdded(int id) {
        core.addNode(id);
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

    /** The core's world: the simulated network to the nodes, the loop's clock and timers, the seed. */
    private final class SimDriver implements ClientCore.Driver {
        @Override
        public long nowNanos() {
            return loop.nowNanos();
        }

        @Override
        public void send(int node, ClientRequest request) {
            KvCommand c = request.command();
            if (c.clientId() != 0 && c.ackedSeq() < c.seq() - 1) {
                sentWithLowerOpen++;
            }
            sim.network()
                    .sendFrame(
                            address,
                            node,
                            FrameReader.encode(request),
                            frame ->
                                    sim.node(node).receiveClient(frame, address, SimClientProcess.this::answerArrived));
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
}
