package dev.linden.sim;

import dev.linden.kvadapter.KvApi;
import dev.linden.kvadapter.KvCompletions;
import dev.linden.kvnode.client.ClientCore;
import dev.linden.kvnode.kv.KvCommand;
import dev.linden.kvnode.kv.KvResult;
import dev.linden.workloads.Client;
import dev.linden.workloads.Completion;
import dev.linden.workloads.Workload;
import dev.linden.workloads.gen.Op;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * A simulated client of one worker thread: the harness's {@link Client} over the simulated network. Its
 * logic is the production client's own {@link ClientCore} (sessions, redirects, retries, late answers, the
 * indeterminate-or-failed decision), held by its {@link SimClientProcess} and shared with that process's
 * other workers; this class submits one operation at a time to it, and maps outcomes to Jepsen's: ok,
 * fail (certainly not applied), info (unknown). Deadlines are drawn from the seed: most operations give up
 * after a second, some wait five. A CAS whose expected value did not match
 * fails: it certainly changed nothing.
 */
final class SimClient implements Client {
    /** The longest an operation waits before it is recorded as info (or fail). */
    static final long OP_TIMEOUT_NANOS = 5_000_000_000L;

    private static final long SHORT_OP_TIMEOUT_NANOS = 1_000_000_000L;

    private final Simulation sim;
    private final SplittableRandom random;
    private final Workload workload;
    private final int index;
    /** The client process this worker is a thread of (its core may be shared with other workers). */
    final SimClientProcess process;

    private boolean busy;
    private boolean closed;

    /** Writes acknowledged to this client, {sessionId, seq}: each must be in the applied log. */
    final List<long[]> ackedWrites = new ArrayList<>();

    SimClient(Simulation sim, SplittableRandom random, Workload workload, int index, SimClientProcess process) {
        this.sim = sim;
        this.random = random;
        this.workload = workload;
        this.index = index;
        this.process = process;
    }

    @Override
    public void invoke(Op operation, Consumer<Completion> onDone) {
        if (busy || closed) {
            throw new IllegalStateException(
                    "client " + index + " is " + (closed ? "closed" : "busy with an operation"));
        }
        busy = true;
        if (!operation.f().equals("read")) {
            sim.liveness().writeInvoked();
        }
        long timeout = random.nextInt(5) == 0 ? OP_TIMEOUT_NANOS : SHORT_OP_TIMEOUT_NANOS;
        process.submit(sim.options.kvApi().command(workload.request(operation)), timeout, new ClientCore.Outcome() {
            @Override
            public void completed(KvCommand sent, KvResult result) {
                finish(onDone, onResult(operation, sent, result));
            }

            @Override
            public void failed(String why) {
                finish(onDone, Completion.fail(why));
            }

            @Override
            public void indeterminate(String why) {
                finish(onDone, Completion.info(why));
            }
        });
    }

    @Override
    public void close() {
        closed = true;
    }

    private Completion onResult(Op op, KvCommand sent, KvResult result) {
        if (result.status() == KvResult.Status.OK && sent.clientId() != 0) {
            ackedWrites.add(new long[] {sent.clientId(), sent.seq()}); // the command's own session and seq
        }
        return KvCompletions.of(workload, op, KvApi.plainResult(sent, result));
    }

    private void finish(Consumer<Completion> onDone, Completion c) {
        busy = false; // before the completion: the runner may invoke the next operation from inside it
        if (!closed) {
            onDone.accept(c);
        }
    }
}
