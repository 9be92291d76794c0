package dev.linden.kvadapter;

import dev.linden.kvnode.kv.KvResult;
import dev.linden.workloads.Completion;
import dev.linden.workloads.Workload;
import dev.linden.workloads.gen.Op;

/**
 * How a cluster's answer to a KV command becomes a Jepsen completion, for every client that records
 * histories (the simulated one and the one against real node processes).
 */
public final class KvCompletions {
    private KvCompletions() {}

    /**
     * OK is ok, with the workload's reading of the value (a value no client wrote is kept as returned, for the
     * checks to judge); a CAS mismatch is fail (it certainly changed nothing); anything else is info.
     */
    public static Completion of(Workload workload, Op op, KvResult result) {
        switch (result.status()) {
            case OK:
                try {
                    return Completion.ok(workload.okValue(op, result.value()));
                } catch (IllegalArgumentException e) {
                    return Completion.ok(result.value());
                }
            case CAS_MISMATCH:
                return Completion.fail("cas-mismatch");
            default:
                return Completion.info(result.status().name().toLowerCase());
        }
    }
}
