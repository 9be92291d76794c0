package dev.linden.kvnode.net;

import dev.linden.kvnode.service.ClientRequest;
import dev.linden.kvnode.service.ClientResponse;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One client connection of a {@link ClientPort}, without its transport: the bytes it receives are read by
 * its {@link ClientFrameReader} (budgets, refusals by header, strict decoding); a request is refused
 * OVERLOADED past the in-flight bound, while the node is overloaded, or while half the answer bound is
 * queued to it; the requests of one read burst go to {@link dev.linden.kvnode.service.KvService#handleAll}
 * together at {@link #endOfRead()}; each answer releases its request's bytes. Call it from one thread (the
 * connection's event loop, or the simulator's loop); answers may come from the raft stage.
 */
public final class ClientPortConnection {
    /** What the transport does for a connection. */
    public interface Link {
        /**
         * Queues an answer to a KV request; {@code written} runs once it left (or was dropped with the
         * connection). Returns false if it could not be queued (then {@code written} does not run).
         */
        boolean queueAnswer(ClientResponse answer, Runnable written);

        /** Writes any other answer (a refusal, an operator request's outcome) at once. */
        void write(Object answer);

        /** Whether this connection may change membership or transfer leadership (an admin's or a node's). */
        boolean mayAdminister();

        /** The remote end, for logs. */
        String remote();
    }

    private final ClientPort port;
    private final Link link;
    private final ClientFrameReader reader;
    private final AtomicInteger inflight = new AtomicInteger();
    private final ArrayList<ClientRequest> burst = new ArrayList<>();
    private final ArrayList<ClientFrameReader.Received> burstReservations = new ArrayList<>();
    /** Bytes of answers queued to this connection and not yet written. */
    private final AtomicLong answerBytes = new AtomicLong();
    /** When a request last arrived or an answer was last queued (by the port's clock). */
    private volatile long lastActiveNanos;

    ClientPortConnection(ClientPort port, Link link) {
        this.port = port;
        this.link = link;
        this.reader = new ClientFrameReader(
                port.limits.maxRequestBytes(),
                new ClientFrameReader.Budget(
                        port.inflightBytes,
                        port.limits.maxConnectionInflightBytes(),
                        port.limits.maxTotalInflightBytes()),
                port.nanoClock);
        this.lastActiveNanos = port.nanoClock.getAsLong();
    }

    ClientFrameReader reader() {
        return reader;
    }

    /**
     * Reads {@code bytes}, which hold whole frames only (a simulated delivery), and takes each message as
     * the Netty pipeline would. A broken framing throws {@link Wire.BadFrameException}: the connection is
     * then to be closed ({@link #close()}).
     */
    public void receive(byte[] bytes) {
        ByteBuf in = Unpooled.wrappedBuffer(bytes);
        List<Object> out = new ArrayList<>(1);
        reader.read(in, out);
        if (in.isReadable()) {
            throw new Wire.BadFrameException(in.readableBytes() + " bytes of a frame that never ends");
        }
        for (Object o : out) {
            accept(o);
        }
    }

    /** No request open, no frame half read: the connection may be closed (idle, or evicted). */
    public boolean idle() {
        return inflight.get() == 0 && reader.partialFrameAgeNanos(port.nanoClock.getAsLong()) == 0;
    }

    long lastActiveNanos() {
        return lastActiveNanos;
    }

    /** Requests of this connection not answered yet. */
    public int inflight() {
        return inflight.get();
    }

    /** The connection is gone: a frame that never completed gives its reservation back. */
    public void close() {
        reader.close();
    }

    /** One message from the reader ({@link ClientFrameReader.Received} or {@link ClientFrameReader.Refused}). */
    void accept(Object in) {
        lastActiveNanos = port.nanoClock.getAsLong();
        if (in instanceof ClientFrameReader.Refused r) {
            link.write(ClientResponse.refused(r.requestId(), r.status(), port.node.leaderHint(), r.reason()));
            return;
        }
        ClientFrameReader.Received received = (ClientFrameReader.Received) in;
        Object msg = received.message;
        if (msg instanceof ClientRequest req) {
            // Half the answer bound queued already: refuse before proposing (OVERLOADED is definite, the
            // client retries shortly), so a reader slower than its pipeline is slowed down rather than have
            // its answers replaced by UNKNOWN past the bound.
            if (inflight.get() >= ClientPort.MAX_INFLIGHT_PER_CONNECTION
                    || port.overloaded.getAsBoolean()
                    || answerBytes.get() >= ClientPort.MAX_ANSWER_BYTES_QUEUED_PER_CONNECTION / 2) {
                received.release();
                link.write(new ClientResponse(
                        req.requestId(), ClientResponse.Status.OVERLOADED, port.node.leaderHint(), (byte[]) null));
                return;
            }
            inflight.incrementAndGet();
            burst.add(req);
            burstReservations.add(received);
            return;
        }
        received.release();
        OperatorRequests.answer(port.node, link, msg);
    }

    /** The read burst is over: its KV requests go to the service together, as one batch. */
    public void endOfRead() {
        if (burst.isEmpty()) {
            return;
        }
        long arrivedNanos = port.nanoClock.getAsLong();
        List<ClientRequest> batch = new ArrayList<>(burst);
        List<ClientFrameReader.Received> held = new ArrayList<>(burstReservations);
        burst.clear();
        burstReservations.clear();
        Map<Long, ClientFrameReader.Received> byId = new HashMap<>();
        for (int i = 0; i < batch.size(); i++) {
            if (byId.putIfAbsent(batch.get(i).requestId(), held.get(i)) != null) {
                held.get(i).release(); // a request id used twice: never leak its reservation
            }
        }
        port.service.handleAll(batch, resp -> {
            ClientFrameReader.Received r;
            synchronized (byId) {
                r = byId.remove(resp.requestId());
            }
            if (r != null) {
                r.release();
            }
            inflight.decrementAndGet();
            lastActiveNanos = port.nanoClock.getAsLong();
            answer(resp, arrivedNanos);
        });
    }

    /**
     * Queues an answer within the answer byte bounds. One that does not fit is replaced by UNKNOWN (its
     * command was applied, or may have been): the client retries it, and gets the answer the cluster
     * kept for it, or SESSION_EXPIRED; never a wrong one. The bytes are released once written.
     */
    private void answer(ClientResponse resp, long arrivedNanos) {
        long bytes = resp.encodedResult() == null ? 0 : resp.encodedResult().length;
        long answeredNanos = port.nanoClock.getAsLong();
        Runnable timed = () -> {
            long now = port.nanoClock.getAsLong();
            port.requestTimes.record(now - arrivedNanos);
            port.replyTimes.record(now - answeredNanos);
        };
        if (bytes == 0) {
            link.queueAnswer(resp, timed);
            return;
        }
        long mine = answerBytes.addAndGet(bytes);
        long all = port.answerBytesQueued.addAndGet(bytes);
        if (mine > ClientPort.MAX_ANSWER_BYTES_QUEUED_PER_CONNECTION
                || all > ClientPort.MAX_ANSWER_BYTES_QUEUED_TOTAL) {
            answerBytes.addAndGet(-bytes);
            port.answerBytesQueued.addAndGet(-bytes);
            if (port.answersNotQueued.getAndIncrement() % 1000 == 0) {
                ClientPort.LOG.warning("event=answer-not-queued reason=answer-bytes-bound remote=" + link.remote()
                        + " connection-bytes=" + mine + " total-bytes=" + all + " limit-per-connection="
                        + ClientPort.MAX_ANSWER_BYTES_QUEUED_PER_CONNECTION + " limit-total="
                        + ClientPort.MAX_ANSWER_BYTES_QUEUED_TOTAL + " so-far=" + port.answersNotQueued.get());
            }
            link.queueAnswer(
                    new ClientResponse(
                            resp.requestId(), ClientResponse.Status.UNKNOWN, resp.leaderHint(), (byte[]) null),
                    timed);
            return;
        }
        Runnable release = () -> {
            answerBytes.addAndGet(-bytes);
            port.answerBytesQueued.addAndGet(-bytes);
        };
        if (!link.queueAnswer(resp, () -> {
            release.run();
            timed.run();
        })) {
            release.run();
        }
    }
}
