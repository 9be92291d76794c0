package dev.linden.kvnode.service;

import dev.linden.kvnode.kv.KvCommand;
import java.util.Arrays;

/**
 * A client's request to a node. A GET without a session is served as a linearizable ReadIndex read;
 * everything else goes through the log (with the client's session for exactly-once retries).
 *
 * <p>It carries the command as encoded on the wire: a node proposes those very bytes as the log entry
 * and never decodes the command's strings on the way (only the state machine does, once, at apply).
 */
public record ClientRequest(long requestId, byte[] encodedCommand) {
    public ClientRequest(long requestId, KvCommand command) {
        this(requestId, command.encode());
    }

    /** Decodes the command (tests and tools; the node's request path does not need it). */
    public KvCommand command() {
        return KvCommand.decode(encodedCommand);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ClientRequest r
                && r.requestId == requestId
                && Arrays.equals(r.encodedCommand, encodedCommand);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(requestId) * 31 + Arrays.hashCode(encodedCommand);
    }

    @Override
    public String toString() {
        return "ClientRequest{" + requestId + " " + encodedCommand.length + "B}";
    }
}
