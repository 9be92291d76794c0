package dev.linden.sim;

import dev.linden.kvnode.kv.KvCommand;
import dev.linden.kvnode.kv.KvResult;
import dev.linden.kvnode.service.ClientRequest;
import dev.linden.kvnode.service.ClientResponse;
import dev.linden.workloads.Client;
import dev.linden.workloads.Completion;
import dev.linden.workloads.KvRequest;
import dev.linden.workloads.Workload;
import dev.linden.workloads.gen.Op;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * A simulated client of one worker thread: the harness's {@link Client} over the simulated network. It
 * finds the leader, follows redirects, and retries with the same session sequence number, so a retried
 * write applies once. An operation still unresolved at its deadline ends info if any attempt may have
 * taken effect, fail if every attempt was definitely refused. An OK to any attempt of the operation in
 * flight completes it, a late one included (every attempt is the same command, with the same session
 * sequence number). Deadlines are drawn from the seed: most operations give up after a second, some wait
 * five. A CAS whose expected value did not match fails: it certainly changed nothing.
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
    private long sessionId;
    private int sessionGeneration;
    private long seq;
    private long ackedSeq;
    private int leaderGuess;
    private long nextRequestId = 1;
    private boolean closed;

    // The operation in flight.
    private Op op;
    private Consumer<Completion> done;
    private KvCommand command;
    private long requestId;
    /** Request ids of this operation's attempts are this one and up. */
    private long firstRequestId;
    private long deadlineNanos;
    private boolean maybeApplied;

    /** Writes acknowledged to this client, {sessionId, seq}: each must be in the applied log. */
    final java.util.List<long[]> ackedWrites = new java.util.ArrayList<>();

    SimClient(Simulation sim, SimLoop loop, SplittableRandom random, Workload workload, int index) {
        this.sim = sim;
        this.loop = loop;
        this.random = random;
        this.workload = workload;
        this.address = SimNetwork.CLIENT_BASE + index;
        this.index = index;
        this.sessionId = 1_000_000L + index;
        this.leaderGuess = 1 + random.nextInt(sim.nodeCount());
    }

    @Override
    public void invoke(Op operation, Consumer<Completion> onDone) {
        if (op != null || closed) {
            throw new IllegalStateException("client " + index + " is " + (closed ? "closed" : "busy with " + op));
        }
        op = operation;
        done = onDone;
        command = toCommand(workload.request(operation));
        deadlineNanos = loop.nowNanos() + (random.nextInt(5) == 0 ? OP_TIMEOUT_NANOS : SHORT_OP_TIMEOUT_NANOS);
        firstRequestId = nextRequestId;
        maybeApplied = false;
        attempt();
    }

    @Override
    public void close() {
        closed = true;
    }

    private KvCommand toCommand(KvRequest r) {
        KvCommand c;
        switch (r.kind()) {
            case GET:
                return KvCommand.get(r.key()); // a ReadIndex read, no session
            case PUT:
                c = KvCommand.put(r.key(), r.value());
                break;
            case APPEND:
                c = KvCommand.append(r.key(), r.value());
                break;
            case CAS:
                c = KvCommand.cas(r.key(), r.expected(), r.value());
                break;
            default:
                throw new IllegalArgumentException("unsupported request " + r);
        }
        seq++;
        return c.withSession(sessionId, seq, ackedSeq);
    }

    private void attempt() {
        long id = nextRequestId++;
        requestId = id;
        int target = leaderGuess;
        ClientRequest req = new ClientRequest(id, command);
        sim.network().send(address, target, () -> sim.node(target).receiveClient(req, address, this::onResponse));
        loop.at(ATTEMPT_TIMEOUT_NANOS, SimLoop.CLIENT, address, () -> {
            if (requestId == id && op != null) {
                maybeApplied = true; // no answer: it may have been applied
                leaderGuess = 1 + random.nextInt(sim.nodeCount());
                retry(0);
            }
        });
    }

    private void onResponse(ClientResponse r) {
        if (op == null || r.requestId() < firstRequestId) {
            return; // an answer to an operation already recorded
        }
        if (r.requestId() != requestId && r.status() != ClientResponse.Status.OK) {
            return; // a refusal of an attempt since replaced: the latest attempt decides
        }
        requestId = -1;
        switch (r.status()) {
            case OK -> succeed(r.result());
            case NOT_LEADER -> {
                leaderGuess = r.leaderHint() > 0 && r.leaderHint() != leaderGuess ? r.leaderHint()
                        : 1 + random.nextInt(sim.nodeCount());
                retry(r.leaderHint() > 0 ? 1_000_000 : 20_000_000);
            }
            case OVERLOADED -> retry(10_000_000);
            case LOST -> retry(1_000_000);
            case UNKNOWN -> {
                maybeApplied = true;
                retry(5_000_000);
            }
            case INVALID, NO_SPACE -> finish(maybeApplied ? Completion.info(r.status().name().toLowerCase())
                    : Completion.fail(r.status().name().toLowerCase())); // refused for good by this attempt
        }
    }

    private void retry(long backoffNanos) {
        long id = requestId = nextRequestId++; // invalidates answers to the previous attempt
        if (loop.nowNanos() + backoffNanos >= deadlineNanos) {
            giveUp();
            return;
        }
        loop.at(backoffNanos, SimLoop.CLIENT, address, () -> {
            if (requestId == id && op != null) {
                attempt();
            }
        });
    }

    private void succeed(KvResult result) {
        if (result.status() == KvResult.Status.SESSION_EXPIRED || result.status() == KvResult.Status.MALFORMED) {
            if (result.status() == KvResult.Status.SESSION_EXPIRED) {
                // The cluster does not know this session (its first writes were given up on before one was
                // applied, so it acknowledges seqs the cluster never saw): go on with a new one. Before the
                // completion: the runner may invoke the next operation from inside it.
                sessionGeneration++;
                sessionId = 1_000_000L * (sessionGeneration + 1) + index;
                seq = 0;
                ackedSeq = 0;
            }
            finish(Completion.info(result.status().name().toLowerCase()));
            return;
        }
        if (result.status() == KvResult.Status.CAS_MISMATCH) {
            finish(Completion.fail("cas-mismatch"));
            return;
        }
        if (command.clientId() != 0) {
            ackedWrites.add(new long[] {command.clientId(), command.seq()}); // the command's own session and seq
        }
        Object value;
        try {
            value = workload.okValue(op, result.value());
        } catch (IllegalArgumentException e) {
            // The store returned what no client wrote: record it as read, for the checks to judge.
            value = result.value();
        }
        finish(Completion.ok(value));
    }

    private void giveUp() {
        boolean read = command.clientId() == 0;
        finish(read || maybeApplied ? Completion.info("timeout") : Completion.fail("timeout: every attempt was refused"));
    }

    private void finish(Completion c) {
        if (command.clientId() != 0 && command.clientId() == sessionId) {
            ackedSeq = seq; // answered, or given up on: the session may forget it
        }
        Consumer<Completion> d = done;
        op = null;
        done = null;
        requestId = -1;
        if (!closed) {
            d.accept(c);
        }
    }
}
