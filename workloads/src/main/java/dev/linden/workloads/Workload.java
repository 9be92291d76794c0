package dev.linden.workloads;

import dev.linden.workloads.check.Check;
import dev.linden.workloads.gen.Generator;
import dev.linden.workloads.gen.Op;
import java.util.List;

/**
 * A workload, as Jepsen's: the operations clients run during the test, the operations of the final phase
 * (after every fault is healed; each is retried until it succeeds), and the checker that judges the
 * history. It also says how a key-value client performs each operation, so one client binding runs every
 * workload. Instances carry the run's state (unique values), so make one per run: {@link #named}.
 */
public interface Workload {
    String name();

    /** Client operations, endless; the test's rate and time limit bound them. */
    Generator generator();

    /**
     * Reads only, endless, for the clients a test makes read-only (each keeps the node it found leading, as a
     * read-only service does: it sees a deposed leader that still answers); null if this workload has none.
     */
    default Generator readOnlyGenerator() {
        return null;
    }

    /** Reads after healing: each must succeed, and the checks use them (nothing acknowledged is lost). */
    List<Op> finalOps();

    /** Judges a history of this workload (client and nemesis operations). */
    Check checker(Check.Options options);

    /** The store request that performs {@code op}. */
    KvRequest request(Op op);

    /**
     * The value an ok {@code op} records, given what the store returned ({@code stored}: a read's value, or
     * null for a missing key; ignored for writes).
     */
    Object okValue(Op op, String stored);

    /** The workloads by name, in the order the CLI lists them. */
    List<String> NAMES = List.of("register", "kv", "list-append", "set");

    /** A fresh instance of a workload; {@code keys} is how many keys keyed workloads spread over. */
    static Workload named(String name, int keys) {
        switch (name) {
            case "register":
                return new RegisterWorkload(1);
            case "kv":
                return new RegisterWorkload(keys);
            case "list-append":
                return new ListAppendWorkload(keys);
            case "set":
                return new SetWorkload();
            default:
                throw new IllegalArgumentException("unknown workload '" + name + "' (one of " + NAMES + ")");
        }
    }
}
