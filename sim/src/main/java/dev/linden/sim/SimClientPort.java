package dev.linden.sim;

import dev.linden.kvnode.net.ClientPort;
import dev.linden.kvnode.net.ClientPortConnection;
import dev.linden.kvnode.net.ClientPortLimits;
import dev.linden.kvnode.net.FrameReader;
import dev.linden.kvnode.net.Wire;
import dev.linden.kvnode.node.RaftNode;
import dev.linden.kvnode.service.ClientResponse;
import dev.linden.kvnode.service.KvService;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * One node process's client port on the simulated wire: the production {@link ClientPort} (frame reading
 * with its byte budgets, the in-flight bound, OVERLOADED and INVALID answers, bursts to the service's batch
 * entry point, operator requests), bound to the simulated network as Netty's ClientServer binds it to
 * sockets. A client address is one connection; what arrives from it within the read window is one burst.
 * A frame that breaks the framing closes the connection, as on a real port: the client's next frame opens
 * a new one.
 */
final class SimClientPort {
    private final int nodeId;
    private final Simulation sim;
    private final SimLoop loop;
    private final ClientPort port;
    /** Wraps a task of the node's process (dropped if it died since, deferred while it is paused). */
    private final Function<Runnable, Runnable> guard;
    /** Open connections by client address. */
    private final TreeMap<Integer, Connection> connections = new TreeMap<>();

    SimClientPort(
            int nodeId,
            Simulation sim,
            SimLoop loop,
            KvService service,
            RaftNode raft,
            LongSupplier nodeClockNanos,
            Function<Runnable, Runnable> guard) {
        this.nodeId = nodeId;
        this.sim = sim;
        this.loop = loop;
        this.guard = guard;
        // The simulated raft stage has no queue bound of its own (its tasks are loop events), so the node is
        // never overloaded here; every other bound of the port is the production one.
        this.port = new ClientPort(service, raft, () -> false, ClientPortLimits.defaults(), nodeClockNanos);
    }

    /** A frame from a client arrives (called inside the node's guard). */
    void receive(byte[] frame, int clientAddress, Consumer<byte[]> toClient) {
        Connection c = connections.get(clientAddress);
        if (c == null) {
            c = new Connection(clientAddress, toClient);
            connections.put(clientAddress, c);
        }
        if (!c.readScheduled) {
            c.readScheduled = true;
            Connection reading = c;
            loop.at(SimNode.READ_WINDOW_NANOS, SimLoop.NET, nodeId, guard.apply(() -> reading.endOfRead()));
        }
        try {
            c.connection.receive(frame);
        } catch (Wire.BadFrameException e) {
            sim.network().framesRefused++;
            sim.log(nodeId, "closed the connection of client " + clientAddress + ": " + e.getMessage());
            c.connection.close();
            c.closed = true;
            connections.remove(clientAddress);
        }
    }

    /** One client's connection to this node. */
    private final class Connection implements ClientPortConnection.Link {
        final int clientAddress;
        final Consumer<byte[]> toClient;
        final ClientPortConnection connection;
        boolean readScheduled;
        boolean closed;

        Connection(int clientAddress, Consumer<byte[]> toClient) {
            this.clientAddress = clientAddress;
            this.toClient = toClient;
            this.connection = port.open(this);
        }

        void endOfRead() {
            readScheduled = false;
            if (!closed) {
                connection.endOfRead();
            }
        }

        @Override
        public boolean queueAnswer(ClientResponse answer, Runnable written) {
            write(answer);
            written.run();
            return true;
        }

        @Override
        public void write(Object answer) {
            sim.network().sendFrame(nodeId, clientAddress, FrameReader.encode(answer), toClient);
        }

        @Override
        public boolean mayAdminister() {
            // As a certificate's role on a real port: the simulation's operator holds an admin's, every client
            // process (and a rogue operator) an ordinary client's.
            return clientAddress == SimOperator.ADDRESS;
        }

        @Override
        public String remote() {
            return "client " + clientAddress;
        }
    }
}
