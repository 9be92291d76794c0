package dev.linden.kvnode.client;

import dev.linden.kvnode.net.Wire;
import dev.linden.kvnode.raft.MembershipChange;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongFunction;

/**
 * The operator's calls without a transport, a clock or threads: a membership change or a leadership
 * transfer, asked of the node believed to lead, following "not the leader, ask N" answers, asked again
 * (of another node) when an attempt gets no answer in time or cannot be sent, within a number of attempts
 * and a deadline; it ends with the cluster's final answer, or with one saying why it gave up (and what the
 * last attempt met; an answer the core made up carries request id 0, a node's never does). {@link
 * KvClient} drives it on its event loop; the simulator's operator drives the same class on its loop, over
 * the simulated client port.
 *
 * <p>Asking again is safe: a node answers a change its configuration already holds at once, and a
 * transfer to the node that already leads at once.
 *
 * <p>Single-threaded: every method must be called from the driver's one thread.
 */
public final class OperatorCore {
    /** Back-off before asking the leader a node named. */
    static final long REDIRECT_NANOS = 1_000_000;
    /** Back-off before asking again when no node named a leader (an election, a hand-over, a busy leader). */
    static final long RETRY_NANOS = 200_000_000;

    /** What the core asks of the world. */
    public interface Driver {
        long nowNanos();

        /**
         * Sends an operator request ({@link Wire.MembershipRequest} or {@link Wire.TransferRequest}) to a
         * node. If it cannot be sent, report it later with {@link #onSendFailed}. Must not call back into
         * the core before returning.
         */
        void send(int node, long requestId, Object request);

        /** Runs {@code task} on the core's thread after {@code delayNanos}. */
        void schedule(long delayNanos, Runnable task);
    }

    /**
     * The bounds of one operator request.
     *
     * @param attemptTimeoutNanos how long one node is given to answer before another is asked
     * @param timeoutNanos        how long the request is given in all
     * @param maxAttempts         how many times it is sent at most (redirects included)
     */
    public record Limits(long attemptTimeoutNanos, long timeoutNanos, int maxAttempts) {
        public Limits {
            if (attemptTimeoutNanos < 1 || timeoutNanos < 1 || maxAttempts < 1) {
                throw new IllegalArgumentException("operator limits must be positive");
            }
        }
    }

    /** One operator request across its attempts. */
    private static final class Call {
        final LongFunction<Object> request;
        final Limits limits;
        final long startedNanos;
        final long deadlineNanos;
        /** The final answer, or one made from why the request gave up. */
        final Consumer<Object> done;

        final Function<String, Object> gaveUp;
        final List<Long> ids = new ArrayList<>();
        long currentId = -1;
        int target;
        String lastMet = "nothing yet";
        boolean finished;

        Call(
                LongFunction<Object> request,
                Limits limits,
                long nowNanos,
                Consumer<Object> done,
                Function<String, Object> gaveUp) {
            this.request = request;
            this.limits = limits;
            this.startedNanos = nowNanos;
            this.deadlineNanos = nowNanos + limits.timeoutNanos();
            this.done = done;
            this.gaveUp = gaveUp;
        }
    }

    private final List<Integer> nodes;
    private final Driver driver;
    private int leaderGuess;
    private long nextRequestId = 1;
    /** Every attempt of every open request, by request id (at most maxAttempts per request). */
    private final TreeMap<Long, Call> byId = new TreeMap<>();

    /** @param nodes the node ids requests may go to */
    public OperatorCore(List<Integer> nodes, Driver driver) {
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException("an operator needs nodes to ask");
        }
        this.nodes = new ArrayList<>(nodes);
        this.driver = driver;
        this.leaderGuess = nodes.get(0);
    }

    /** A node that joined the cluster: it may be asked from now on. */
    public void addNode(int id) {
        if (!nodes.contains(id)) {
            nodes.add(id);
        }
    }

    /** Requests not yet ended. */
    public int open() {
        return (int) byId.values().stream().distinct().count();
    }

    /**
     * Asks for one membership change, first of {@code leaderGuess} (a node that is not one of this core's:
     * the node that last answered as leader). Ends with the answer that ended it (committed, refused, timed
     * out at the leader), or a NOT_LEADER one saying why it gave up.
     */
    public void changeMembership(
            MembershipChange change, int leaderGuess, Limits limits, Consumer<Wire.MembershipResponse> done) {
        start(
                id -> new Wire.MembershipRequest(id, change.kind().name(), change.nodeId(), change.address()),
                leaderGuess,
                limits,
                answer -> done.accept((Wire.MembershipResponse) answer),
                why -> new Wire.MembershipResponse(
                        0, Wire.MembershipResponse.Outcome.NOT_LEADER, this.leaderGuess, why));
    }

    /**
     * Asks for leadership to go to {@code target}, first of {@code leaderGuess}. Ends with the answer: ok once
     * the target leads; else the refusal of the node that leads, or one saying why it gave up.
     */
    public void transferLeadership(int target, int leaderGuess, Limits limits, Consumer<Wire.TransferResponse> done) {
        start(
                id -> new Wire.TransferRequest(id, target),
                leaderGuess,
                limits,
                answer -> done.accept((Wire.TransferResponse) answer),
                why -> new Wire.TransferResponse(0, false, this.leaderGuess, why));
    }

    private void start(
            LongFunction<Object> request,
            int guess,
            Limits limits,
            Consumer<Object> done,
            Function<String, Object> gaveUp) {
        Call call = new Call(request, limits, driver.nowNanos(), done, gaveUp);
        attempt(call, nodes.contains(guess) ? guess : leaderGuess);
    }

    private void attempt(Call call, int node) {
        if (call.finished) {
            return;
        }
        long now = driver.nowNanos();
        if (now >= call.deadlineNanos || call.ids.size() >= call.limits.maxAttempts()) {
            giveUp(call);
            return;
        }
        long id = nextRequestId++;
        call.ids.add(id);
        call.currentId = id;
        call.target = node;
        byId.put(id, call);
        long waitNanos = Math.min(call.limits.attemptTimeoutNanos(), call.deadlineNanos - now);
        driver.send(node, id, call.request.apply(id));
        driver.schedule(waitNanos, () -> {
            if (!call.finished && call.currentId == id) {
                call.lastMet = "node " + node + " did not answer within " + waitNanos / 1_000_000 + " ms";
                retry(call, other(node), 0);
            }
        });
    }

    /** Asks {@code node} after {@code delayNanos}, unless the deadline comes first. */
    private void retry(Call call, int node, long delayNanos) {
        call.currentId = -1; // a late answer to the attempt replaced counts only if it ends the request well
        if (driver.nowNanos() + delayNanos >= call.deadlineNanos) {
            giveUp(call);
        } else {
            driver.schedule(delayNanos, () -> attempt(call, node));
        }
    }

    /** An answer from a node: a {@link Wire.MembershipResponse} or a {@link Wire.TransferResponse}. */
    public void onAnswer(Object answer) {
        long id;
        boolean good;
        boolean redirect;
        int hint;
        String message;
        if (answer instanceof Wire.MembershipResponse m) {
            id = m.requestId();
            good = m.ok();
            redirect = !m.ended();
            hint = m.leaderId();
            message = m.outcome() + ": " + m.message();
        } else if (answer instanceof Wire.TransferResponse t) {
            id = t.requestId();
            good = t.ok();
            // A refusal by the node that leads is final; one by a node that does not lead is asked again.
            redirect = !t.ok() && t.leaderId() != byTarget(t.requestId());
            hint = t.leaderId();
            message = t.message();
        } else {
            return;
        }
        Call call = byId.get(id);
        if (call == null || call.finished || (!good && id != call.currentId)) {
            return; // ended, or the refusal of an attempt since replaced
        }
        int asked = call.target;
        call.lastMet = "node " + asked + " answered " + message;
        if (!redirect) {
            leaderGuess = good ? asked : leaderGuess;
            finish(call, answer);
        } else if (nodes.contains(hint) && hint != asked) {
            leaderGuess = hint;
            retry(call, hint, REDIRECT_NANOS);
        } else {
            retry(call, hint == asked ? asked : other(asked), RETRY_NANOS);
        }
    }

    private int byTarget(long requestId) {
        Call call = byId.get(requestId);
        return call == null ? Integer.MIN_VALUE : call.target;
    }

    /** The attempt {@code requestId} could not be sent: another node is asked. */
    public void onSendFailed(long requestId) {
        Call call = byId.get(requestId);
        if (call == null || call.finished || call.currentId != requestId) {
            return;
        }
        call.lastMet = "node " + call.target + " could not be reached";
        retry(call, other(call.target), RETRY_NANOS);
    }

    /** Ends every open request with an answer saying {@code why} (the client closes). */
    public void abandonAll(String why) {
        for (Call call : new ArrayList<>(byId.values())) {
            if (!call.finished) {
                finish(call, call.gaveUp.apply(why));
            }
        }
    }

    private void giveUp(Call call) {
        long ms = (driver.nowNanos() - call.startedNanos) / 1_000_000;
        finish(
                call,
                call.gaveUp.apply("no final answer after " + call.ids.size() + " attempts in " + ms + " ms; last: "
                        + call.lastMet));
    }

    private void finish(Call call, Object answer) {
        if (call.finished) {
            return;
        }
        call.finished = true;
        for (long id : call.ids) {
            byId.remove(id);
        }
        call.done.accept(answer);
    }

    /** The node after {@code node} in this core's list, round the list. */
    private int other(int node) {
        return nodes.get((nodes.indexOf(node) + 1) % nodes.size());
    }
}
