package dev.linden.kvadapter;

import dev.linden.kvnode.kv.KvCommand;
import dev.linden.workloads.KvRequest;

/** How a workload's request becomes the command a Linden client sends: one mapping for both worlds. */
public final class KvCommands {
    private KvCommands() {}

    /** The command for {@code r}; a read is a ReadIndex read, with no session. */
    public static KvCommand of(KvRequest r) {
        return switch (r.kind()) {
            case GET -> KvCommand.get(r.key());
            case PUT -> KvCommand.put(r.key(), r.value());
            case APPEND -> KvCommand.append(r.key(), r.value());
            case CAS -> KvCommand.cas(r.key(), r.expected(), r.value());
        };
    }
}
