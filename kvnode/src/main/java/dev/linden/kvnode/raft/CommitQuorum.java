package dev.linden.kvnode.raft;

import java.util.Arrays;

/**
 * Which voters a leader counts as holding an index, as its commit rule counts them: each follower by the match
 * index it acknowledged, the leader by what it holds durably ({@link LeaderReplication#selfMatch}). A monitor holds
 * each of them to it: a node counted toward a commit must still hold that index when it starts again, unless its
 * disk was damaged, so a node that acknowledged before its fsync (or a leader that counted itself so) is caught.
 */
public final class CommitQuorum {
    private CommitQuorum() {}

    /** The voters {@code core} counts as holding {@code index}, sorted; empty if it does not lead. */
    public static int[] counted(RaftCore core, long index) {
        if (core.role != Role.LEADER || core.leader == null) {
            return new int[0];
        }
        int[] voters = core.votersArray();
        int[] out = new int[voters.length];
        int n = 0;
        for (int v : voters) {
            Progress pr = core.leader.progress.get(v);
            long match = v == core.id() ? core.replication.selfMatch() : pr == null ? 0 : pr.matchIndex;
            if (match >= index) {
                out[n++] = v;
            }
        }
        int[] counted = Arrays.copyOf(out, n);
        Arrays.sort(counted);
        return counted;
    }
}
