package dev.linden.sim;

import dev.linden.kvnode.net.FrameReader;
import dev.linden.kvnode.net.Wire;
import dev.linden.kvnode.raft.HardState;
import dev.linden.kvnode.raft.Message;
import dev.linden.kvnode.wal.HardStateFile;
import dev.linden.kvnode.wal.PeerIncarnations;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A simulated node's peer port: Raft messages leave as the frames the production encoder writes and are
 * read back by the production frame reader and strict decoding; Hellos carry each process's data dir
 * incarnation, checked as the peer transport checks them; what arrives within the read window is handed
 * to the node as one burst, through the batch entry point production uses. The monitors of the
 * persistence rule watch every message sent.
 */
final class SimPeerPort {
    private final SimNode node;
    private final Simulation sim;
    private final SimLoop loop;
    /** Peer messages read in the current burst, not yet handed to the node. */
    private final ArrayList<Message> inbound = new ArrayList<>();

    private boolean inboundFlushScheduled;
    /** The peer port's frame reader (past the Hello: the full frame size). */
    private final FrameReader peerFrames = new FrameReader(Wire.DEFAULT_MAX_FRAME_BYTES);
    /** The peers' incarnations this node knows, read from its disk at start ({@link PeerIncarnations}). */
    private PeerIncarnations peerIncarnations;

    SimPeerPort(SimNode node, Simulation sim, SimLoop loop) {
        this.node = node;
        this.sim = sim;
        this.loop = loop;
    }

    /** A process starts (or died): nothing read is pending; the peers it knows are read from its disk. */
    void reset(PeerIncarnations known) {
        inbound.clear();
        inboundFlushScheduled = false;
        peerIncarnations = known;
    }

    /** The frame's message, or an exception if it does not decode (the client port's closed-port answer). */
    Object decode(byte[] frame) {
        return peerFrames.decodeFrame(frame);
    }

    /** The node's transport: a Raft message leaves as the frame the production encoder writes. */
    void send(Message m) {
        checkTermAndVoteDurable(m);
        sim.durability().sending(node.id, node.raft == null ? null : node.raft.core(), m);
        long from = node.dataIncarnation; // as a connection carries the Hello of the process that opened it
        sim.network()
                .sendFrame(
                        node.id,
                        m.to(),
                        FrameReader.encode(m),
                        frame -> sim.node(m.to()).peerPort.receiveRaft(frame, from));
    }

    /**
     * The peer port's reading of a frame: cut and decoded strictly by the production reader. A frame that
     * does not decode is refused, as the real port closes that connection (its peer dials again): the
     * message is lost, never handed on.
     */
    private Object decodePeerFrame(byte[] frame, int from) {
        try {
            return peerFrames.decodeFrame(frame);
        } catch (Wire.BadFrameException e) {
            sim.network().framesRefused++;
            sim.log(node.id, "refused a frame from " + from + ": " + e.getMessage());
            return null;
        }
    }

    /**
     * As the peer transport does at a Hello: a message from another incarnation of a node this one knew is
     * refused, and the sender told, which then stops (the node process exits 2 with the reason).
     */
    private boolean admit(int from, long senderIncarnation) {
        String refusal;
        try {
            refusal = peerIncarnations.admit(from, senderIncarnation);
        } catch (IOException e) {
            // Not a refusal: the incarnation could not be recorded (a full disk, say). Nothing is taken from
            // the sender until it can be, as the transport closes the connection and the peer dials again.
            sim.log(
                    node.id,
                    "dropped a message from node " + from + ": its incarnation could not be recorded: "
                            + e.getMessage());
            return false;
        }
        if (refusal == null) {
            return true;
        }
        sim.log(node.id, "refused node " + from + ": " + refusal);
        sim.node(from).refusedByPeer(node.id, senderIncarnation, refusal);
        return false;
    }

    /**
     * As the peer transport dials every peer when it starts (and each accepted connection answers), a
     * started node greets every other node over the simulated network: both record each other's
     * incarnation whether or not Raft traffic ever flows between them (followers seldom talk to each other).
     */
    void greetPeers() {
        byte[] hello = FrameReader.encode(new Wire.Hello(node.id, sim.clusterId(), node.dataIncarnation));
        for (SimNode peer : sim.allNodes()) {
            if (peer.id != node.id) {
                sim.network()
                        .sendFrame(node.id, peer.id, hello, frame -> peer.peerPort.receiveHello(frame, node.id, true));
            }
        }
    }

    void receiveHello(byte[] frame, int from, boolean answer) {
        node.guard(SimLoop.NET, () -> {
                    if (!(decodePeerFrame(frame, from) instanceof Wire.Hello hello)) {
                        return;
                    }
                    if (admit(hello.nodeId(), hello.incarnation()) && answer) {
                        byte[] mine =
                                FrameReader.encode(new Wire.Hello(node.id, sim.clusterId(), node.dataIncarnation));
                        sim.network()
                                .sendFrame(
                                        node.id,
                                        from,
                                        mine,
                                        back -> sim.node(from).peerPort.receiveHello(back, node.id, false));
                    }
                })
                .run();
    }

    /**
     * An independent monitor of Raft's persistence rule, read from the simulated disk's durable bytes (not
     * from the node's word): a node never announces a term, or a vote it cast, that a crash would make it
     * forget. PreVote traffic is exempt: it carries a term the sender would campaign in, never one it holds.
     */
    private void checkTermAndVoteDurable(Message m) {
        boolean preVote = (m instanceof Message.VoteRequest vr && vr.preVote())
                || (m instanceof Message.VoteResponse vp && vp.preVote());
        if (preVote || m.term() == 0) {
            return;
        }
        byte[] bytes = node.disk.durableBytes(HardStateFile.NAME);
        HardState hs = bytes == null ? HardState.INITIAL : HardStateFile.decode(bytes);
        String broken = null;
        if (hs == null) {
            broken = "its durable hard state does not decode";
        } else if (hs.term() < m.term()) {
            broken = "its durable term is " + hs.term();
        } else if (hs.term() > m.term()) {
            // A later term is durable (one ready can grant a vote and then move on to a newer term): the node
            // can never vote in the message's term again, whatever it holds for the newer one.
            broken = null;
        } else if (m instanceof Message.VoteResponse v && v.granted() && hs.votedFor() != m.to()) {
            broken = "its durable vote in term " + hs.term() + " is for " + hs.votedFor();
        } else if (m instanceof Message.VoteRequest && hs.votedFor() != node.id) {
            broken = "its durable vote in term " + hs.term() + " is for " + hs.votedFor() + ", not itself";
        }
        if (broken != null) {
            sim.violation("durable vote: node " + node.id + " sent "
                    + m.getClass().getSimpleName() + " of term " + m.term() + " to node " + m.to() + " but " + broken
                    + " (a crash now would let it vote twice or go back)");
        }
    }

    /**
     * A peer message arrives. As the node server's event loop does, the node reads what arrives within a
     * short window as one burst and hands it to the node with the batch entry point production uses.
     */
    void receiveRaft(byte[] frame, long senderIncarnation) {
        node.guard(SimLoop.NET, () -> {
                    if (!(decodePeerFrame(frame, -1) instanceof Message m) || !admit(m.from(), senderIncarnation)) {
                        return;
                    }
                    inbound.add(m);
                    if (inbound.size() >= SimNode.MAX_BURST) {
                        flushInbound();
                    } else if (!inboundFlushScheduled) {
                        inboundFlushScheduled = true;
                        loop.at(
                                SimNode.READ_WINDOW_NANOS,
                                SimLoop.NET,
                                node.id,
                                node.guard(SimLoop.NET, this::flushInbound));
                    }
                })
                .run();
    }

    private void flushInbound() {
        inboundFlushScheduled = false;
        if (inbound.isEmpty()) {
            return;
        }
        List<Message> burst = new ArrayList<>(inbound);
        inbound.clear();
        node.raft.receiveAll(burst);
    }
}
