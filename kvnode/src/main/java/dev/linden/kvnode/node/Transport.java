package dev.linden.kvnode.node;

import dev.linden.kvnode.raft.Membership;
import dev.linden.kvnode.raft.Message;

/**
 * Sends Raft messages to peers. Best effort: a message may be dropped, delayed, duplicated or reordered
 * and Raft copes. Must not block; must bound its queues. Inbound messages are handed to
 * {@link RaftNode#receiveAll(java.util.List)}, in bursts.
 */
public interface Transport {
    void send(Message message);

    /**
     * The configuration in force changed: reach its members at the addresses it names (a member without
     * one is reached as the transport already knows it). Called on the raft stage; must not block.
     */
    default void updatePeers(Membership membership) {}

    /**
     * Why {@code peer} does not answer, as far as the transport knows (connection refused, a peer of
     * another cluster), or "" if it knows nothing against it. For operators' errors; any thread.
     */
    default String linkProblem(int peer) {
        return "";
    }
}
