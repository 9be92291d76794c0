package dev.linden.kvnode.net;

import dev.linden.kvnode.node.RaftNode;
import dev.linden.kvnode.service.KvService;
import dev.linden.kvnode.stats.LatencyTimes;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * The client port without a transport: what a node takes from its clients and how it answers. Per
 * connection ({@link ClientPortConnection}): the bytes of requests in flight against the connection's and
 * the node's budgets, at most {@link #MAX_INFLIGHT_PER_CONNECTION} requests open, OVERLOADED while the
 * node is, a read burst handed to {@link KvService#handleAll} at once, answers within byte bounds, and the
 * status, transfer and membership requests. Netty's {@link ClientServer} and the simulator bind it, each
 * to its own wire: both run these bounds.
 */
public final class ClientPort {
    static final Logger LOG = Logger.getLogger(ClientPort.class.getName());
    public static final int MAX_INFLIGHT_PER_CONNECTION = 16_384;
    /**
     * Most bytes of answers queued to one connection and not yet written to its socket: 16 answers of the
     * largest size. A client that pipelines commands answering a mebibyte each (CAS mismatches, APPENDs)
     * faster than it reads them would otherwise hold the node's heap with its answers.
     */
    public static final long MAX_ANSWER_BYTES_QUEUED_PER_CONNECTION = 16L << 20;
    /** Most bytes of answers queued over all connections: a quarter of a 256 MiB heap. */
    public static final long MAX_ANSWER_BYTES_QUEUED_TOTAL = 64L << 20;

    final KvService service;
    final RaftNode node;
    final BooleanSupplier overloaded;
    final ClientPortLimits limits;
    /** The port's clock (System.nanoTime on a real port, the node's clock in the simulator). */
    final LongSupplier nanoClock;

    final AtomicLong inflightBytes = new AtomicLong();
    /** Bytes of answers queued to all connections and not yet written (at most MAX_ANSWER_BYTES_QUEUED_TOTAL). */
    final AtomicLong answerBytesQueued = new AtomicLong();
    /** Answers replaced by UNKNOWN for lack of room to queue them (logged once per thousand). */
    final AtomicLong answersNotQueued = new AtomicLong();
    /**
     * A KV request's time on this node: from the end of the read that brought it to its answer written to the
     * socket (the queue before the raft stage, replication, apply and the reply's way out, all in one figure).
     */
    final LatencyTimes requestTimes = new LatencyTimes("request");
    /** The last part of it: from its answer's being ready (applied, or refused) to that answer written. */
    final LatencyTimes replyTimes = new LatencyTimes("reply");

    /**
     * @param overloaded whether the node takes no more requests now (its raft stage's queue is full)
     */
    public ClientPort(
            KvService service,
            RaftNode node,
            BooleanSupplier overloaded,
            ClientPortLimits limits,
            LongSupplier nanoClock) {
        this.service = service;
        this.node = node;
        this.overloaded = overloaded;
        this.limits = limits;
        this.nanoClock = nanoClock;
    }

    /** A connection was opened: its reading and answering, bound to {@code link}. */
    public ClientPortConnection open(ClientPortConnection.Link link) {
        return new ClientPortConnection(this, link);
    }

    /** Its recorder of each KV request's time from arrival to its answer written (by the port's clock). */
    public LatencyTimes requestTimes() {
        return requestTimes;
    }

    /** Its recorder of each KV answer's time from ready to written. */
    public LatencyTimes replyTimes() {
        return replyTimes;
    }

    /** Request bytes received and not yet answered, over all connections. */
    public long inflightBytes() {
        return inflightBytes.get();
    }
}
