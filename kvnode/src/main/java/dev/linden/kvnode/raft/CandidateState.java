package dev.linden.kvnode.raft;

import java.util.TreeMap;

/** One election round (a PreVote or a real vote): created when it starts, dropped when it ends. */
final class CandidateState {
    /** Whether this round is a PreVote (thesis §9.6): it never changes any term. */
    final boolean preVote;
    /** Whether this round was started by the leader's TimeoutNow (its requests say so). */
    boolean transfer;
    /** The answers so far, this node's own included; a later answer from the same node replaces the earlier. */
    private final TreeMap<Integer, Boolean> votes = new TreeMap<>();

    CandidateState(boolean preVote, int self) {
        this.preVote = preVote;
        votes.put(self, true);
    }

    void record(int from, boolean granted) {
        votes.put(from, granted);
    }

    int granted() {
        int n = 0;
        for (boolean v : votes.values()) {
            if (v) {
                n++;
            }
        }
        return n;
    }

    int rejected() {
        return votes.size() - granted();
    }
}
