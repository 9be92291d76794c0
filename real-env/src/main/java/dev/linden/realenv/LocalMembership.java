package dev.linden.realenv;

import dev.linden.kvnode.net.Wire;
import dev.linden.kvnode.raft.MembershipChange;
import dev.linden.nemesis.FaultOps;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;

/**
 * Membership of a local cluster under a membership nemesis: who is a member now, and the spare node ids
 * (ports, proxies, namespaces set up at start, processes launched only when they join). {@code replace}
 * is the {@code replace-node} fault on real processes: a spare joins empty ({@code --initial-cluster-state
 * join}) and is added as a voter through the client port, then a voter (the leader if asked) is removed,
 * keeps running outside the configuration for a while, and is killed for good. Ids are never reused.
 */
final class LocalMembership {
    /** Spare node ids a run with membership faults sets up: at most this many replacements. */
    static final int SPARES = 2;

    private static final long CHANGE_TIMEOUT_MILLIS = 30_000;
    private static final long LINGER_MILLIS = 3_000;

    private final LocalTestCluster c;
    private final int initial;
    private final int spares;
    private final TreeSet<Integer> members = new TreeSet<>();
    private final TreeSet<Integer> joined = new TreeSet<>();
    private final TreeSet<Integer> removed = new TreeSet<>();

    LocalMembership(LocalTestCluster cluster, int initial, int spares) {
        this.c = cluster;
        this.initial = initial;
        this.spares = spares;
        for (int i = 1; i <= initial; i++) {
            members.add(i);
        }
    }

    /** Every id a process may ever run under: the initial members and the spares. */
    synchronized List<Integer> allIds() {
        List<Integer> ids = new ArrayList<>();
        for (int i = 1; i <= initial + spares; i++) {
            ids.add(i);
        }
        return ids;
    }

    synchronized List<Integer> members() {
        return List.copyOf(members);
    }

    /** The members a new cluster is bootstrapped with (--initial-voters). */
    String initialVoters() {
        List<String> ids = new ArrayList<>();
        for (int i = 1; i <= initial; i++) {
            ids.add(String.valueOf(i));
        }
        return String.join(",", ids);
    }

    /** A spare launched to join, whose data dir has no identity yet. */
    synchronized boolean joining(int id) {
        return joined.contains(id) && !Files.exists(c.dataDir(id).resolve("wal").resolve("identity"));
    }

    synchronized boolean removed(int id) {
        return removed.contains(id);
    }

    /** The replace-node fault: evidence of what was added, removed and committed, or why nothing was. */
    Object replace(String victimSpec) throws IOException {
        try {
            return replaceOrInterrupt(victimSpec);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return FaultOps.noEffect("interrupted while replacing a node");
        }
    }

    private Object replaceOrInterrupt(String victimSpec) throws IOException, InterruptedException {
        int spare = -1;
        synchronized (this) {
            for (int id : allIds()) {
                if (id > initial && !joined.contains(id)) {
                    spare = id;
                    break;
                }
            }
        }
        if (spare < 0) {
            return FaultOps.noEffect(
                    spares == 0 ? "this run set up no spare node" : "every spare node was used", "spares", spares);
        }
        int leader = c.leader(true);
        if (leader < 0) {
            return FaultOps.noEffect("no leader to change the configuration");
        }
        List<Integer> voters = members();
        int victim = "leader".equals(victimSpec) ? leader : voters.get(c.random.nextInt(voters.size()));
        long started = System.nanoTime();
        synchronized (this) {
            joined.add(spare);
        }
        c.launch(spare);
        // Both asked at once, as the simulator's operator does: the leader must take one change at a time (a
        // cluster that let both go in flight could elect two leaders), and the operator follows redirects.
        CompletableFuture<Wire.MembershipResponse> adding = change(MembershipChange.addVoter(spare, ""), started);
        CompletableFuture<Wire.MembershipResponse> removing = change(MembershipChange.remove(victim), started);
        Wire.MembershipResponse added = adding.join();
        Wire.MembershipResponse gone = removing.join();
        long ms = (System.nanoTime() - started) / 1_000_000;
        synchronized (this) {
            if (added.ok()) {
                members.add(spare);
            }
            if (gone.ok()) {
                members.remove(victim);
                removed.add(victim);
            }
        }
        if (!added.ok() || !gone.ok()) {
            if (gone.ok()) {
                Thread.sleep(LINGER_MILLIS);
                c.killForGood(victim);
            }
            return FaultOps.effect(
                    (added.ok()
                                    ? "node " + spare + " added"
                                    : "node " + spare + " started, not added: " + added.message())
                            + (gone.ok()
                                    ? ", node " + victim + " removed"
                                    : ", node " + victim + " not removed: " + gone.message()),
                    "added",
                    added.ok() ? spare : -1,
                    "removed",
                    gone.ok() ? victim : -1,
                    "ms",
                    ms,
                    "configuration",
                    (gone.ok() ? gone : added).message());
        }
        // Outside the configuration, it must not disturb the cluster; then it stops for good.
        Thread.sleep(LINGER_MILLIS);
        c.killForGood(victim);
        return FaultOps.effect(
                "node " + victim + " replaced by node " + spare,
                "added",
                spare,
                "removed",
                victim,
                "leader-removed",
                victim == leader,
                "ms",
                ms,
                "configuration",
                gone.message());
    }

    /** Asks whoever leads for {@code change}, following hand-overs, until committed or the time is up. */
    private CompletableFuture<Wire.MembershipResponse> change(MembershipChange change, long startedNanos) {
        long left = CHANGE_TIMEOUT_MILLIS - (System.nanoTime() - startedNanos) / 1_000_000L;
        return c.statusClient().changeMembership(c.leader(true), change, Math.max(1, left));
    }
}
