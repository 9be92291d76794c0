package dev.linden.kvnode.client;

import dev.linden.kvnode.kv.KvCommand;
import dev.linden.kvnode.kv.KvResult;
import dev.linden.kvnode.service.ClientRequest;
import dev.linden.kvnode.service.ClientResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * The client's logic without a transport, a clock or threads: sessions with pipelined acknowledgements,
 * finding the leader, redirects, retries and back-off, and the decision whether a request that got no
 * answer may have taken effect. The production {@link KvClient} drives it from one Netty event loop; the
 * simulator drives the very same class from its event loop, so a fix to the client is made once and every
 * seed tests what ships.
 *
 * <p>Single-threaded: every method must be called from the driver's one thread.
 *
 * <p>The rules. A write goes through the client's session with the next sequence number and is retried
 * with the same number, so the cluster applies it once; the session acknowledges everything below its
 * lowest open number. An answer OK to <em>any</em> attempt of a request still open completes it, a late one
 * included (each attempt carries the same command); a refusal counts only from the latest attempt. An
 * attempt unanswered within the attempt timeout may have been applied. When a request's deadline comes, or
 * it is refused for good, it ends {@link Outcome#indeterminate} if any attempt may have taken effect, else
 * {@link Outcome#failed}; a read that gives up changed nothing and fails.
 */
public final class ClientCore {
    /** Back-off before the next attempt after a redirect without a hint, an unknown outcome or no connection. */
    static final long RETRY_ELSEWHERE_NANOS = 20_000_000;
    /** Back-off before trying the leader a node named. */
    static final long REDIRECT_NANOS = 1_000_000;
    /** Back-off before trying the same node again (it was overloaded, or lost the request). */
    static final long RETRY_SAME_NANOS = 5_000_000;
    /** Most requests open at once: the session's result cache on the cluster bounds what it can dedupe. */
    public static final int MAX_OPEN_REQUESTS = 4096;
    /** What the core asks of the world. */
    public interface Driver {
        long nowNanos();

        /**
         * Sends a request to a node. If it cannot be sent, report it later with {@link #onSendFailed}. Must
         * not call back into the core before returning.
         */
        void send(int node, ClientRequest request);

        /** Runs {@code task} on the core's thread after {@code delayNanos}. */
        void schedule(long delayNanos, Runnable task);

        /**
         * The attempt {@code requestId} times out at {@code deadlineNanos}: the driver either calls
         * {@link #checkAttempt} then, or calls {@link #sweepTimeouts} often enough.
         */
        void watchAttempt(long requestId, long deadlineNanos);

        /** A number in [0, bound): seeded in the simulator. */
        int nextInt(int bound);
    }

    /** How a request ended. Exactly one method is called, once, on the core's thread. */
    public interface Outcome {
        /** The cluster answered (the result may itself say CAS mismatch, malformed, ...). */
        void completed(KvCommand sent, KvResult result);

        /** Certainly not applied. */
        void failed(String why);

        /** May or may not have been applied. */
        void indeterminate(String why);
    }

    /** A session: its id, its next sequence number and the ones still open. */
    private static final class Session {
        final long id;
        long nextSeq = 1;
        /** Insertion order is seq order (seqs only grow), so the first is the lowest: O(1) add, remove, first. */
        final LinkedHashSet<Long> open = new LinkedHashSet<>();

        Session(long id) {
            this.id = id;
        }

        long acknowledged() {
            return open.isEmpty() ? nextSeq - 1 : open.iterator().next() - 1;
        }
    }

    /** One request across its attempts. */
    private final class Call {
        final KvCommand command;
        /** The command's bytes, encoded once: every attempt sends these. */
        final byte[] encodedCommand;

        final Outcome outcome;
        final long deadlineNanos;
        final long seq;
        final Session session;
        /** Ids of every attempt sent, oldest first; the last is the current one (-1: none in flight). */
        final List<Long> attempts = new ArrayList<>();

        long currentRequestId = -1;
        int target;
        long attemptDeadlineNanos = Long.MAX_VALUE;
        /** What the latest attempts met, for the message of a request that gives up. */
        final AttemptHistory history = new AttemptHistory();

        boolean maybeApplied;
        boolean finished;

        Call(KvCommand command, long seq, Session session, long deadlineNanos, Outcome outcome) {
            this.command = command;
            this.encodedCommand = command.encode();
            this.seq = seq;
            this.session = session;
            this.deadlineNanos = deadlineNanos;
            this.outcome = outcome;
        }

        void note(int what, int node, int hint) {
            history.note(what, node, hint);
        }

        String history() {
            return history.describe(attempts.size());
        }

        boolean read() {
            return command.op().isRead();
        }
    }

    private final ArrayList<Integer> nodes;
    private final long attemptTimeoutNanos;
    private final Driver driver;
    private final LongSupplier sessionIds;
    private Session session;
    private int leaderGuess;
    private long nextRequestId = 1;
    /** Every attempt of every open request, by request id; insertion order is id order (ids only grow). */
    private final LinkedHashMap<Long, Call> byRequestId = new LinkedHashMap<>();

    private int openCalls;

    /** A node that joined the cluster: requests may go to it from now on (on the driver's thread). */
    public void addNode(int id) {
        if (!nodes.contains(id)) {
            nodes.add(id);
        }
    }

    /**
     * @param nodes       the node ids requests may go to
     * @param firstGuess  where to send first (a node id of {@code nodes})
     * @param sessionIds  ids for new sessions (unique per client; random in production, seeded in simulation)
     */
    public ClientCore(
            List<Integer> nodes, int firstGuess, long attemptTimeoutNanos, Driver driver, LongSupplier sessionIds) {
        if (nodes.isEmpty() || !nodes.contains(firstGuess) || attemptTimeoutNanos < 1) {
            throw new IllegalArgumentException("a client needs nodes, a first guess among them, an attempt timeout");
        }
        this.nodes = new ArrayList<>(nodes);
        this.leaderGuess = firstGuess;
        this.attemptTimeoutNanos = attemptTimeoutNanos;
        this.driver = driver;
        this.sessionIds = sessionIds;
        this.session = new Session(sessionIds.getAsLong());
    }

    /** Requests not yet ended. */
    public int open() {
        return openCalls;
    }

    /**
     * Sends a command: a GET without a session is a ReadIndex read; anything else goes through the log once,
     * under this client's session. Ends by {@code timeoutNanos} from now.
     */
    public void submit(KvCommand command, long timeoutNanos, Outcome outcome) {
        if (openCalls >= MAX_OPEN_REQUESTS) {
            outcome.failed("all " + MAX_OPEN_REQUESTS + " request slots are in use");
            return;
        }
        KvCommand cmd = command;
        long seq = 0;
        Session s = session;
        if (!command.op().isRead()) {
            seq = s.nextSeq++;
            s.open.add(seq);
            cmd = command.withSession(s.id, seq, s.acknowledged());
        } else if (command.clientId() != 0) {
            cmd = command.withSession(0, 0, 0); // a read takes no sequence number: nodes serve it by ReadIndex
        }
        openCalls++;
        Call call = new Call(cmd, seq, s, driver.nowNanos() + timeoutNanos, outcome);
        attempt(call, leaderGuess);
    }

    private void attempt(Call call, int target) {
        if (call.finished) {
            return;
        }
        if (driver.nowNanos() >= call.deadlineNanos) {
            giveUp(call);
            return;
        }
        long id = nextRequestId++;
        call.currentRequestId = id;
        call.attempts.add(id);
        call.target = target;
        // The request's own deadline cuts the attempt short: a request never outlives its timeout.
        call.attemptDeadlineNanos = Math.min(driver.nowNanos() + attemptTimeoutNanos, call.deadlineNanos);
        byRequestId.put(id, call);
        driver.send(target, new ClientRequest(id, call.encodedCommand));
        driver.watchAttempt(id, call.attemptDeadlineNanos);
    }

    /** Tries again after {@code delayNanos}, unless the deadline comes first. */
    private void retry(Call call, int target, long delayNanos) {
        call.currentRequestId = -1; // answers to the attempt replaced count only if OK
        if (driver.nowNanos() + delayNanos >= call.deadlineNanos) {
            giveUp(call);
            return;
        }
        driver.schedule(delayNanos, () -> attempt(call, target));
    }

    /** An answer from a node. */
    public void onResponse(ClientResponse r) {
        Call call = byRequestId.get(r.requestId());
        if (call == null || call.finished) {
            return; // an answer to a request already ended
        }
        boolean current = r.requestId() == call.currentRequestId;
        if (!current && r.status() != ClientResponse.Status.OK) {
            return; // a refusal of an attempt since replaced: the latest attempt decides
        }
        if (r.status() != ClientResponse.Status.OK) {
            call.note(r.status().ordinal(), call.target, r.leaderHint());
        }
        switch (r.status()) {
            case OK -> {
                leaderGuess = call.target;
                KvResult result = r.result();
                if (result.status() == KvResult.Status.SESSION_EXPIRED) {
                    // The cluster no longer holds this write's answer: its session expired or was evicted (or its
                    // first writes were given up on before one was applied, so it acknowledges seqs the cluster
                    // never saw), or the answer was dropped to keep the session's answers within their bytes
                    // bound. It was not run twice, but whether it ran is unknown. Later writes use a new session.
                    if (session == call.session) {
                        session = new Session(sessionIds.getAsLong());
                    }
                    String why = "session-expired: "
                            + (result.value() != null
                                    ? result.value()
                                    : "the cluster no longer holds this client's session")
                            + "; the write may or may not have been applied (never twice)" + call.history();
                    finish(call, () -> call.outcome.indeterminate(why));
                } else {
                    finish(call, () -> call.outcome.completed(call.command, result));
                }
            }
            case NOT_LEADER -> {
                boolean hinted = nodes.contains(r.leaderHint()) && r.leaderHint() != call.target;
                int next = hinted ? r.leaderHint() : other(call.target);
                leaderGuess = next;
                retry(call, next, hinted ? REDIRECT_NANOS : RETRY_ELSEWHERE_NANOS);
            }
            case OVERLOADED, LOST -> retry(call, call.target, RETRY_SAME_NANOS);
            case UNKNOWN -> {
                call.maybeApplied = true;
                retry(call, other(call.target), RETRY_ELSEWHERE_NANOS);
            }
            case INVALID, NO_SPACE -> {
                String why = (r.status() == ClientResponse.Status.NO_SPACE ? "no space: " : "invalid request: ")
                        + (r.result() == null ? r.status().name() : r.result().value());
                endRefused(call, why);
            }
        }
    }

    /** The attempt could not be sent: the node is unreachable (try another) or its queue is full (wait). */
    public void onSendFailed(long requestId, boolean unreachable) {
        Call call = byRequestId.get(requestId);
        if (call == null || call.finished || call.currentRequestId != requestId) {
            return;
        }
        call.note(unreachable ? AttemptHistory.UNREACHABLE : AttemptHistory.QUEUE_FULL, call.target, 0);
        if (unreachable) {
            retry(call, other(call.target), RETRY_ELSEWHERE_NANOS);
        } else {
            retry(call, call.target, RETRY_SAME_NANOS);
        }
    }

    /** The attempt's timeout came (see {@link Driver#watchAttempt}): unanswered, it may have been applied. */
    public void checkAttempt(long requestId) {
        Call call = byRequestId.get(requestId);
        if (call == null
                || call.finished
                || call.currentRequestId != requestId
                || driver.nowNanos() < call.attemptDeadlineNanos) {
            return;
        }
        call.maybeApplied = true;
        call.note(AttemptHistory.NO_ANSWER, call.target, 0);
        retry(call, other(call.target), 0);
    }

    /** Checks every attempt in flight against its timeout. */
    public void sweepTimeouts() {
        long now = driver.nowNanos();
        List<Long> due = new ArrayList<>();
        for (var e : byRequestId.entrySet()) {
            Call call = e.getValue();
            if (e.getKey() == call.currentRequestId && !call.finished && now >= call.attemptDeadlineNanos) {
                due.add(e.getKey()); // each call once: only its current attempt is keyed by currentRequestId
            }
        }
        for (long id : due) {
            checkAttempt(id);
        }
    }

    /** Ends every open request as indeterminate (the client closes). */
    public void abandonAll(String why) {
        for (Call call : new ArrayList<>(byRequestId.values())) {
            if (!call.finished) {
                finish(call, () -> call.outcome.indeterminate(why));
            }
        }
    }

    private void endRefused(Call call, String why) {
        if (call.maybeApplied && !call.read()) {
            finish(call, () -> call.outcome.indeterminate(why + " (an earlier attempt may have been applied)"));
        } else {
            finish(call, () -> call.outcome.failed(why));
        }
    }

    private void giveUp(Call call) {
        if (call.maybeApplied && !call.read()) {
            finish(
                    call,
                    () -> call.outcome.indeterminate(
                            "timeout: no answer, the write may or may not have been" + " applied" + call.history()));
        } else {
            finish(
                    call,
                    () -> call.outcome.failed(
                            (call.read() ? "timeout: the read got no answer" : "timeout: every attempt was refused")
                                    + call.history()));
        }
    }

    /** Frees the request's sequence number and ids first, so the outcome may submit again at once. */
    private void finish(Call call, Runnable report) {
        if (call.finished) {
            return;
        }
        call.finished = true;
        openCalls--;
        for (long id : call.attempts) {
            byRequestId.remove(id);
        }
        if (call.seq > 0) {
            call.session.open.remove(call.seq);
        }
        report.run();
    }

    private int other(int current) {
        if (nodes.size() == 1) {
            return nodes.get(0);
        }
        int i = Math.max(0, nodes.indexOf(current));
        return nodes.get((i + 1 + driver.nextInt(nodes.size() - 1)) % nodes.size());
    }
}
