package dev.linden.kvnode.server;

import dev.linden.kvnode.node.RaftNode;
import dev.linden.kvnode.raft.Membership;
import dev.linden.kvnode.raft.RaftCore;
import dev.linden.kvnode.raft.Ready;
import dev.linden.kvnode.raft.Role;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * Says once, at WARN, why a node that just started has no leader after {@link #ELECTION_TIMEOUTS}
 * election timeouts: otherwise it sits silently in PRE_CANDIDATE with commit 0 and the operator has to
 * guess. The reasons it can see: no peer answered (and what the transport knows of each link), its own
 * id is not a voter of the configuration it holds, {@code --peers} leaves out members of that
 * configuration or its own address. It stops looking once a leader is known.
 */
final class IsolationWatch {
    static final int ELECTION_TIMEOUTS = 5;
    private static final Logger LOG = Logger.getLogger("linden.events");

    private final int self;
    private final Map<Integer, InetSocketAddress> peers;
    private final RaftNode node;
    private final IntFunction<String> linkProblem;
    private final LongSupplier receivedMessages;
    private ScheduledFuture<?> task;
    private int checks;

    IsolationWatch(
            int self,
            Map<Integer, InetSocketAddress> peers,
            RaftNode node,
            IntFunction<String> linkProblem,
            LongSupplier receivedMessages) {
        this.self = self;
        this.peers = Map.copyOf(peers);
        this.node = node;
        this.linkProblem = linkProblem;
        this.receivedMessages = receivedMessages;
    }

    /** Checks once per election timeout; the first {@link #ELECTION_TIMEOUTS} checks only wait. */
    synchronized void start(ScheduledExecutorService timers, long electionTimeoutMillis) {
        task = timers.scheduleWithFixedDelay(
                this::check, electionTimeoutMillis, electionTimeoutMillis, TimeUnit.MILLISECONDS);
    }

    private synchronized void check() {
        Ready.SoftState s = node.softState();
        if (s != null && (s.leaderId() != RaftCore.NO_NODE || s.role() == Role.LEADER)) {
            task.cancel(false); // a leader is known: not isolated
            return;
        }
        if (++checks < ELECTION_TIMEOUTS) {
            return;
        }
        task.cancel(false); // said once
        LOG.warning("event=isolated node=" + self + " role=" + (s == null ? "?" : s.role()) + " commit="
                + (s == null ? 0 : s.commitIndex()) + " detail=\"no leader after " + ELECTION_TIMEOUTS
                + " election timeouts: "
                + String.join("; ", reasons(self, peers, node.membership(), linkProblem, receivedMessages.getAsLong()))
                + "\"");
    }

    /** What an operator can fix, as far as this node can tell. */
    static List<String> reasons(
            int self,
            Map<Integer, InetSocketAddress> peers,
            Membership m,
            IntFunction<String> linkProblem,
            long receivedMessages) {
        List<String> out = new ArrayList<>();
        if (receivedMessages == 0) {
            out.add("no peer answered");
        } else {
            out.add("peers answer, but no leader was elected");
        }
        if (!peers.containsKey(self)) {
            out.add("--peers does not name this node's own address (id " + self + ")");
        }
        if (m != null && m.members().length == 0) {
            out.add("this node joined with an empty configuration and waits for a leader to add it");
        } else if (m != null && !m.isVoter(self)) {
            out.add("node " + self + " is not a voter of the configuration it holds (" + m + ")");
        }
        if (m != null) {
            List<Integer> missing = new ArrayList<>();
            for (int id : m.members()) {
                if (!peers.containsKey(id) && !m.addresses().containsKey(id)) {
                    missing.add(id);
                }
            }
            if (!missing.isEmpty()) {
                out.add("--peers leaves out members " + missing + " of the configuration, and it names no address"
                        + " for them");
            }
            for (int id : m.members()) {
                String problem = id == self ? "" : linkProblem.apply(id);
                if (problem != null && !problem.isEmpty()) {
                    out.add("node " + id + ": " + problem);
                }
            }
        }
        return out;
    }
}
