package dev.linden.kvnode.node;

import dev.linden.kvnode.raft.Message;

/**
 * Sends Raft messages to peers. Best effort: a message may be dropped, delayed, duplicated or reordered
 * and Raft copes. Must not block; must bound its queues. Inbound messages are handed to
 * {@link RaftNode#receive(Message)}.
 */
public interface Transport {
    void send(Message message);
}
