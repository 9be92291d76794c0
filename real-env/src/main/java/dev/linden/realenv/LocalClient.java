package dev.linden.realenv;

import dev.linden.harness.Scheduler;
import dev.linden.kvadapter.KvApi;
import dev.linden.kvadapter.KvCompletions;
import dev.linden.kvnode.client.IndeterminateException;
import dev.linden.kvnode.client.KvClient;
import dev.linden.kvnode.client.RequestFailedException;
import dev.linden.kvnode.kv.KvCommand;
import dev.linden.kvnode.kv.KvResult;
import dev.linden.workloads.Client;
import dev.linden.workloads.Completion;
import dev.linden.workloads.KvRequest;
import dev.linden.workloads.Workload;
import dev.linden.workloads.gen.Op;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;

/**
 * One worker's client of real node processes: the harness's {@link Client} over the production
 * {@link KvClient}. A request that certainly did not take effect is fail, one whose outcome is unknown is
 * info; answers map as for the simulated client ({@link KvCompletions}). Completions reach the runner on
 * its scheduler.
 */
final class LocalClient implements Client {
    private final KvClient kv;
    private final Workload workload;
    private final Scheduler scheduler;

    private final KvApi api;

    LocalClient(KvClient kv, Workload workload, Scheduler scheduler, KvApi api) {
        this.api = api;
        this.kv = kv;
        this.workload = workload;
        this.scheduler = scheduler;
    }

    @Override
    public void invoke(Op op, Consumer<Completion> done) {
        KvRequest r = workload.request(op);
        KvCommand cmd = api.command(r);
        CompletableFuture<KvResult> f = kv.submit(cmd);
        f.whenComplete((res, err) -> {
            Completion c = completion(op, res == null ? null : KvApi.plainResult(cmd, res), err);
            scheduler.schedule(0, () -> done.accept(c));
        });
    }

    private Completion completion(Op op, KvResult res, Throwable err) {
        Throwable e = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
        if (e instanceof RequestFailedException) {
            return Completion.fail(String.valueOf(e.getMessage()));
        }
        if (e != null) {
            return Completion.info(
                    e instanceof IndeterminateException ? "indeterminate: " + e.getMessage() : String.valueOf(e));
        }
        return KvCompletions.of(workload, op, res);
    }

    @Override
    public void close() {
        kv.close();
    }
}
