package dev.linden.kvnode.server;

import dev.linden.kvnode.node.NodeListener;
import dev.linden.kvnode.node.StorageFailedException;
import dev.linden.kvnode.raft.Ready;
import dev.linden.kvnode.raft.Role;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * The node's operational log: one structured line ({@code event=NAME key=value ...}) for each term
 * change, role change, new leader, snapshot installed, storage event and core notice, so an operator can
 * follow elections and repairs in {@code node.log}. Lines come from the raft, apply and storage stages;
 * the logger is thread-safe and nothing here blocks on more than its handlers.
 */
final class EventLog implements NodeListener {
    private static final Logger LOG = Logger.getLogger("linden.events");
    private final int nodeId;
    private final Consumer<Throwable> onFatal;
    private long term = -1;
    private Role role;
    private int leader = -1;

    EventLog(int nodeId, Consumer<Throwable> onFatal) {
        this.nodeId = nodeId;
        this.onFatal = onFatal;
    }

    @Override
    public synchronized void onSoftState(int id, Ready.SoftState s) {
        if (s.term() != term) {
            LOG.info("event=term-changed node=" + nodeId + " from=" + term + " to=" + s.term());
            term = s.term();
        }
        if (s.role() != role) {
            LOG.info("event=role-changed node=" + nodeId + " term=" + s.term() + " from=" + role + " to=" + s.role()
                    + (s.role() == Role.LEADER ? " commit=" + s.commitIndex() : ""));
            role = s.role();
        }
        if (s.leaderId() != leader) {
            LOG.info("event=leader-changed node=" + nodeId + " term=" + s.term() + " leader="
                    + (s.leaderId() == 0 ? "none" : String.valueOf(s.leaderId())));
            leader = s.leaderId();
        }
    }

    @Override
    public void onSnapshotRestored(int id, long index) {
        LOG.info("event=snapshot-installed node=" + nodeId + " index=" + index);
    }

    @Override
    public void onNotice(int id, String notice) {
        LOG.warning("event=core-notice node=" + nodeId + " detail=\"" + notice + "\"");
    }

    @Override
    public void onFatal(int id, StorageFailedException failure) {
        LOG.severe("event=fatal node=" + nodeId + " detail=\"" + failure.detail() + "\"");
        onFatal.accept(failure);
    }

    void storage(String event) {
        LOG.info(event + " node=" + nodeId);
    }
}
