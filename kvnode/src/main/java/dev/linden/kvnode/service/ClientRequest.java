package dev.linden.kvnode.service;

import dev.linden.kvnode.kv.KvCommand;

/**
 * A client's request to a node. A GET without a session is served as a linearizable ReadIndex read;
 * everything else goes through the log (with the client's session for exactly-once retries).
 */
public record ClientRequest(long requestId, KvCommand command) {}
