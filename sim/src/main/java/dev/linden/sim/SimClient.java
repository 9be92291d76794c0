package dev.linden.sim;

import dev.linden.kvnode.kv.KvCommand;
import dev.linden.kvnode.kv.KvResult;
import dev.linden.kvnode.service.ClientRequest;
import dev.linden.kvnode.service.ClientResponse;
import dev.linden.workloads.HistoryRecorder;
import dev.linden.workloads.Invocation;
import dev.linden.workloads.Workload;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A client process, Jepsen style: one operation at a time, recorded as invoke then ok / fail / info.
 * It finds the leader, follows redirects, and retries with the same session sequence number, so a
 * retried write applies once. An operation still unresolved at its deadline is recorded as info if any
 * attempt may have taken effect, fail if every attempt was definitely refused. An OK to any attempt of
 * the operation in flight completes it, a late one included (every attempt is the same command, with the
 * same session sequence number), so late acknowledgements are checked too. Deadlines are drawn from the
 * seed: most operations give up after a second, some wait five.
 */
final class SimClient {
    /** The longest an operation waits before it is recorded as info (or fail). */
    static final long OP_TIMEOUT_NANOS = 5_000_000_000L;
    private static final long SHORT_OP_TIMEOUT_NANOS = 1_000_000_000L;
    private static final long ATTEMPT_TIMEOUT_NANOS = 250_000_000L;

    private final Simulation sim;
    private final SimLoop loop;
    private final SplittableRandom random;
    private final Workload workload;
    private final HistoryRecorder recorder;
    final int address;
    private final int clientCount;
    private long sessionId;
    private final int index;
    private int sessionGeneration;
    private long process;
    private long seq;
    private long ackedSeq;
    private int leaderGuess;
    private long nextRequestId = 1;

    // The operation in flight.
    private HistoryRecorder.Handle handle;
    private KvCommand command;
    private long requestId;
    /** Request ids of this operation's attempts are this one and up. */
    private long firstRequestId;
    private long deadlineNanos;
    private boolean maybeApplied;
    private long invokedAtNanos;

    long okCount;
    long failCount;
    long infoCount;
    long lastOkWriteInvokedNanos = -1;
    boolean stopped;
    final java.util.List<long[]> ackedWrites = new java.util.ArrayList<>(); // {sessionId, seq}

    SimClient(Simulation sim, SimLoop loop, SplittableRandom random, Workload workload, HistoryRecorder recorder,
              int index, int clientCount) {
        this.sim = sim;
        this.loop = loop;
        this.random = random;
        this.workload = workload;
        this.recorder = recorder;
        this.address = SimNetwork.CLIENT_BASE + index;
        this.clientCount = clientCount;
        this.process = index;
        this.index = index;
        this.sessionId = 1_000_000L + index;
        this.leaderGuess = 1 + random.nextInt(sim.nodeCount());
    }

    boolean idle() {
        return handle == null;
    }

    void start() {
        loop.at(random.nextLong(10_000_000), SimLoop.CLIENT, address, this::nextOp);
    }

    private void nextOp() {
        if (stopped || handle != null || recorder.full()) {
            return;
        }
        Invocation inv = workload.next(random);
        invokedAtNanos = loop.nowNanos();
        handle = recorder.invoke(process, inv, invokedAtNanos);
        command = toCommand(inv);
        deadlineNanos = invokedAtNanos + (random.nextInt(5) == 0 ? OP_TIMEOUT_NANOS : SHORT_OP_TIMEOUT_NANOS);
        firstRequestId = nextRequestId;
        maybeApplied = false;
        attempt();
    }

    private KvCommand toCommand(Invocation inv) {
        String key = inv.key();
        KvCommand c = switch (inv.f()) {
            case "read", "get" -> KvCommand.get(key);
            case "write", "put" -> KvCommand.put(key, String.valueOf(inv.value()));
            case "append" -> KvCommand.append(key, (String) inv.value());
            case "cas" -> {
                List<?> args = (List<?>) inv.value();
                yield KvCommand.cas(key, String.valueOf(args.get(0)), String.valueOf(args.get(1)));
            }
            default -> throw new IllegalArgumentException("unsupported f " + inv.f());
        };
        if (c.op() == dev.linden.kvnode.kv.KvOp.GET) {
            return c; // a ReadIndex read, no session
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
            if (requestId == id && handle != null) {
                maybeApplied = true; // no answer: it may have been applied
                leaderGuess = 1 + random.nextInt(sim.nodeCount());
                retry(0);
            }
        });
    }

    private void onResponse(ClientResponse r) {
        if (handle == null || r.requestId() < firstRequestId) {
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
            case INVALID, NO_SPACE -> finish(maybeApplied ? 'i' : 'f', null); // refused for good by this attempt
        }
    }

    private void retry(long backoffNanos) {
        long id = requestId = nextRequestId++; // invalidates answers to the previous attempt
        if (loop.nowNanos() + backoffNanos >= deadlineNanos) {
            giveUp();
            return;
        }
        loop.at(backoffNanos, SimLoop.CLIENT, address, () -> {
            if (requestId == id && handle != null) {
                attempt();
            }
        });
    }

    private void succeed(KvResult result) {
        String f = handle.invocation().f();
        Object value;
        switch (f) {
            case "read" -> value = result.value() == null ? null : Long.parseLong(result.value());
            case "get" -> value = result.value() == null ? "" : result.value();
            case "cas" -> value = result.status() == KvResult.Status.OK;
            default -> value = handle.invocation().value();
        }
        if (result.status() == KvResult.Status.SESSION_EXPIRED || result.status() == KvResult.Status.MALFORMED) {
            finish('i', null);
            if (result.status() == KvResult.Status.SESSION_EXPIRED) {
                // The cluster does not know this session (its first writes were given up on before one was
                // applied, so it acknowledges seqs the cluster never saw): go on with a new one.
                sessionGeneration++;
                sessionId = 1_000_000L * (sessionGeneration + 1) + index;
                seq = 0;
                ackedSeq = 0;
            }
            return;
        }
        if (!f.equals("read") && !f.equals("get")) {
            ackedWrites.add(new long[] {sessionId, seq});
            if (lastOkWriteInvokedNanos < invokedAtNanos) {
                lastOkWriteInvokedNanos = invokedAtNanos;
            }
        }
        finish('o', value);
    }

    private void giveUp() {
        String f = handle.invocation().f();
        boolean read = f.equals("read") || f.equals("get");
        finish(read || maybeApplied ? 'i' : 'f', null);
    }

    private void finish(char how, Object value) {
        long now = loop.nowNanos();
        switch (how) {
            case 'o' -> {
                recorder.ok(handle, value, now);
                okCount++;
            }
            case 'f' -> {
                recorder.fail(handle, now);
                failCount++;
            }
            default -> {
                recorder.info(handle, now);
                infoCount++;
                process += clientCount; // Jepsen's convention: a process with an unknown op is retired
            }
        }
        if (command.clientId() != 0) {
            ackedSeq = seq; // answered, or given up on: the session may forget it
        }
        handle = null;
        requestId = -1;
        loop.at(random.nextLong(1_000_000, 20_000_000), SimLoop.CLIENT, address, this::nextOp);
    }
}
