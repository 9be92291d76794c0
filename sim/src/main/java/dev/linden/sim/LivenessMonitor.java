package dev.linden.sim;

import dev.linden.kvnode.raft.Membership;
import dev.linden.kvnode.raft.RaftCore;
import dev.linden.nemesis.Grudges;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;

/**
 * Raft's liveness promise, checked while the run goes on: while a majority of the nodes is healthy (up,
 * running, disks writable, clocks untouched, links clear, no lost log it must first have repaired) and connected
 * both ways among itself, and has
 * been for {@link #SETTLE_NANOS} (time to elect), then
 * <ul>
 *   <li>writes make progress: a write invoked in that time sees some commit within {@link #PROGRESS_NANOS};</li>
 *   <li>leadership is stable: the majority's term rises at most {@link #MAX_ELECTIONS_WHEN_STABLE} times
 *       more for as long as the situation lasts (a node outside, partly connected, must not keep
 *       disrupting it: what PreVote and check-quorum are for).</li>
 * </ul>
 * The situation is re-read every {@link #TICK_NANOS}; any change (a node healthier or less so, a link cut
 * or mended, a leadership transfer asked for) starts a new stable period. Faults that touch every link (loss,
 * duplication, reordering)
 * leave no period stable. Counted: the stable periods seen, and the longest.
 */
final class LivenessMonitor {
    static final long TICK_NANOS = 100_000_000L;
    static final long SETTLE_NANOS = 1_500_000_000L;
    static final long PROGRESS_NANOS = 2_000_000_000L;
    static final int MAX_ELECTIONS_WHEN_STABLE = 2;

    private final Simulation sim;
    /** The healthy majority clique as a bit set, with the partition in force, or null: nothing stable now. */
    private String situation;

    private int cliqueBits;
    private long stableSinceNanos;
    private long termWhenSettled = -1;
    private long lastCommitAdvanceNanos;
    private long highestCommitIndex;
    /** The first write invoked since the last commit advanced anywhere (Long.MAX_VALUE: none). */
    private long firstWriteSinceCommitNanos = Long.MAX_VALUE;

    long stablePeriods;
    long longestStableMillis;
    long electionsWhileStable;
    private boolean reported;

    LivenessMonitor(Simulation sim) {
        this.sim = sim;
    }

    void start() {
        sim.loop.at(TICK_NANOS, SimLoop.NEMESIS, 0, this::tick);
    }

    void writeInvoked() {
        if (firstWriteSinceCommitNanos == Long.MAX_VALUE) {
            firstWriteSinceCommitNanos = sim.loop.nowNanos();
        }
    }

    /** A node's commit index is now {@code index}: progress if no node had committed that far before. */
    void committed(long index) {
        if (index <= highestCommitIndex) {
            return;
        }
        highestCommitIndex = index;
        lastCommitAdvanceNanos = sim.loop.nowNanos();
        firstWriteSinceCommitNanos = Long.MAX_VALUE;
    }

    private void tick() {
        long now = sim.loop.nowNanos();
        String s = currentSituation();
        if (s == null || !s.equals(situation)) {
            closePeriod(now);
            situation = s;
            stableSinceNanos = now;
            termWhenSettled = -1;
            if (s != null) {
                stablePeriods++;
            }
        } else if (!reported) {
            check(now);
        }
        sim.loop.at(TICK_NANOS, SimLoop.NEMESIS, 0, this::tick);
    }

    private void closePeriod(long now) {
        if (situation != null) {
            longestStableMillis = Math.max(longestStableMillis, (now - stableSinceNanos) / 1_000_000);
        }
    }

    private void check(long now) {
        long settledAt = stableSinceNanos + SETTLE_NANOS;
        if (now < settledAt) {
            return;
        }
        long term = maxTermOfClique();
        if (termWhenSettled < 0) {
            termWhenSettled = term;
        } else if (term > termWhenSettled) {
            electionsWhileStable += term - termWhenSettled;
            if (term - termWhenSettled > MAX_ELECTIONS_WHEN_STABLE) {
                fail("liveness: nodes " + clique() + " were healthy and connected since " + stableSinceNanos / 1_000_000
                        + " ms, yet their term rose from " + termWhenSettled + " to " + term
                        + " after they had settled ("
                        + situation + ")");
                return;
            }
        }
        long waitingSince = Math.max(firstWriteSinceCommitNanos, settledAt);
        if (firstWriteSinceCommitNanos != Long.MAX_VALUE && now - waitingSince >= PROGRESS_NANOS) {
            fail("liveness: nodes " + clique() + " were healthy and connected since " + stableSinceNanos / 1_000_000
                    + " ms, but no write committed in the " + (now - waitingSince) / 1_000_000 + " ms since "
                    + waitingSince / 1_000_000 + " ms (last commit at " + lastCommitAdvanceNanos / 1_000_000 + " ms; "
                    + situation + ")");
        }
    }

    private void fail(String why) {
        reported = true;
        sim.violation(why);
    }

    private long maxTermOfClique() {
        long term = 0;
        for (int id : clique()) {
            RaftCore c = sim.node(id).raft == null ? null : sim.node(id).raft.core();
            term = Math.max(term, c == null ? 0 : c.term());
        }
        return term;
    }

    private List<Integer> clique() {
        List<Integer> out = new ArrayList<>();
        for (int id : sim.nodes()) {
            if ((cliqueBits & (1 << id)) != 0) {
                out.add(id);
            }
        }
        return out;
    }

    /** A description of what holds now if a healthy majority is connected, else null. */
    private String currentSituation() {
        SimNetwork net = sim.network();
        if (net.lossRate > 0 || net.duplicateRate > 0 || net.jitterMicros > 0) {
            return null;
        }
        // The voters of the newest committed configuration: a configuration change is a new situation, and a
        // removed node that still runs is not part of any majority (nor may it disturb one).
        // During a change the leader's configuration in force matters as much: a majority of each must be healthy.
        Membership members = sim.committedMembership();
        int leader = sim.leader();
        Membership inForce = leader > 0 && sim.node(leader).raft.core() != null
                ? sim.node(leader).raft.core().membership()
                : members;
        TreeSet<Integer> union = new TreeSet<>();
        Arrays.stream(members.voters()).forEach(union::add);
        Arrays.stream(inForce.voters()).forEach(union::add);
        List<Integer> ids = List.copyOf(union);
        int healthy = 0;
        for (int id : ids) {
            SimNode n = sim.node(id);
            if (n.up
                    && !n.paused
                    && !n.disk.full
                    && !n.disk.readErrors
                    && n.disk.stallNanos == 0
                    && !net.clogged.contains(id)
                    && !sim.clockFaulted(id)
                    && n.raft != null
                    && n.raft.core() != null
                    && !n.abstainingAfterLostLog()) {
                healthy |= 1 << id;
            }
        }
        // The largest connected healthy set (ids are small: at most a few nodes), a majority or nothing.
        int best = 0;
        for (int set = healthy; set > 0; set = (set - 1) & healthy) {
            if (Integer.bitCount(set) > Integer.bitCount(best) && connected(set, ids, net)) {
                best = set;
            }
        }
        if (!majorityOf(best, members) || !majorityOf(best, inForce)) {
            return null;
        }
        cliqueBits = best;
        return members + (inForce.equals(members) ? "" : " (in force " + inForce + ")") + ", healthy "
                + Integer.toBinaryString(healthy) + ", connected majority " + clique()
                + ", transfers asked "
                + sim.transfersAsked + ", cut " + net.blocked.size()
                + " links "
                + new TreeSet<>(
                        net.blocked.stream().map(l -> l.from() + ">" + l.to()).toList());
    }

    private static boolean majorityOf(int set, Membership m) {
        int in = 0;
        for (int v : m.voters()) {
            in += (set & (1 << v)) != 0 ? 1 : 0;
        }
        return in > m.voters().length / 2;
    }

    private static boolean connected(int set, List<Integer> ids, SimNetwork net) {
        for (int a : ids) {
            for (int b : ids) {
                if (a != b
                        && (set & (1 << a)) != 0
                        && (set & (1 << b)) != 0
                        && net.blocked.contains(new Grudges.Link(a, b))) {
                    return false;
                }
            }
        }
        return true;
    }
}
