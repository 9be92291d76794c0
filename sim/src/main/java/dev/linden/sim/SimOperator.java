package dev.linden.sim;

import dev.linden.kvnode.client.OperatorCore;
import dev.linden.kvnode.net.FrameReader;
import dev.linden.kvnode.net.Wire;
import dev.linden.kvnode.raft.MembershipChange;
import java.util.function.Consumer;

/**
 * The simulation's operator: the production {@link OperatorCore} (the leader to ask, redirects, attempts,
 * the deadline) on a client address of its own, asking the nodes over the simulated network and their
 * client ports, as {@code linden cluster} and the real-process nemesis ask through a KvClient. Its
 * requests and the nodes' answers are frames, read by the production readers; they are lost, delayed and
 * partitioned like any client's.
 */
final class SimOperator {
    /** The operator's connection address, past every client process's: the only one with an admin's certificate. */
    static final int ADDRESS = SimNetwork.CLIENT_BASE + 999;
    /** A client that asks what only an operator may ({@code rogue-operator}): an ordinary client's certificate. */
    static final int ROGUE_ADDRESS = SimNetwork.CLIENT_BASE + 998;

    private final Simulation sim;
    private final int address;
    /** Made at the first request (the simulation makes its nemesis before its nodes). */
    private OperatorCore core;

    private final FrameReader answerFrames = new FrameReader(Wire.DEFAULT_MAX_FRAME_BYTES);

    SimOperator(Simulation sim) {
        this(sim, ADDRESS);
    }

    SimOperator(Simulation sim, int address) {
        this.sim = sim;
        this.address = address;
    }

    /** Asks for {@code change}, first of {@code leaderGuess}; {@code done} gets the final answer. */
    void changeMembership(
            MembershipChange change,
            int leaderGuess,
            OperatorCore.Limits limits,
            Consumer<Wire.MembershipResponse> done) {
        knowNodes();
        core.changeMembership(change, leaderGuess, limits, done);
    }

    /** Asks for leadership to go to {@code target}, first of {@code leaderGuess}. */
    void transferLeadership(
            int target, int leaderGuess, OperatorCore.Limits limits, Consumer<Wire.TransferResponse> done) {
        knowNodes();
        core.transferLeadership(target, leaderGuess, limits, done);
    }

    /** Nodes added to the run since may be asked (a leader's redirect to one is followed). */
    private void knowNodes() {
        if (core == null) {
            core = new OperatorCore(sim.nodes(), new SimDriver());
        }
        for (int id : sim.nodes()) {
            core.addNode(id);
        }
    }

    /** An answer's frame arrives; one that does not decode is dropped, as a real client drops the connection. */
    private void answerArrived(byte[] frame) {
        Object answer;
        try {
            answer = answerFrames.decodeFrame(frame);
        } catch (Wire.BadFrameException e) {
            sim.network().framesRefused++;
            return;
        }
        core.onAnswer(answer); // a KV answer (a closed port's refusal) is not the operator's: ignored
    }

    /** The core's world: the simulated network, the loop's clock and timers. */
    private final class SimDriver implements OperatorCore.Driver {
        @Override
        public long nowNanos() {
            return sim.loop.nowNanos();
        }

        @Override
        public void send(int node, long requestId, Object request) {
            if (address == ADDRESS
                    && request instanceof Wire.MembershipRequest m
                    && m.nodeId() == node
                    && MembershipChange.Kind.REMOVE.name().equals(m.kind())) {
                sim.transfersAsked++; // the leader asked to leave hands over: a deliberate election
            }
            sim.network()
                    .sendFrame(
                            address,
                            node,
                            FrameReader.encode(request),
                            frame -> sim.node(node).receiveClient(frame, address, SimOperator.this::answerArrived));
        }

        @Override
        public void schedule(long delayNanos, Runnable task) {
            sim.loop.at(Math.max(0, delayNanos), SimLoop.CLIENT, address, task);
        }
    }
}
