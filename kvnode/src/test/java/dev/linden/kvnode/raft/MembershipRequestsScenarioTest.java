package dev.linden.kvnode.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The leader's side of "every membership request ends" that golden traces would make too long: a learner
 * that never answers is taken out again after {@link MembershipChanges#LEARNER_ANSWER_TIMEOUT_ELECTIONS}
 * election timeouts and its add refused as unreachable, while one that answers keeps waiting to catch up.
 * (The golden trace {@code membership-requests.txt} has the rest.)
 */
class MembershipRequestsScenarioTest {
    private static Script leaderWithCommittedEntry() {
        Script s = Script.of(3).campaign(1).stabilize();
        s.propose(1, "x=1").stabilize();
        return s;
    }

    /** Asks node 1, as the driver does, and hands what it must do to the script. */
    private static long change(Script s, MembershipChange c) {
        long r = s.node(1).changeMembership(c);
        s.collect(1);
        return r;
    }

    private static void tickLeader(Script s, int ticks) {
        for (int i = 0; i < ticks; i++) {
            s.tick(1, 1).stabilize(); // the voters answer every heartbeat, so node 1 keeps leading
        }
    }

    @Test
    void aLearnerThatNeverAnswersIsTakenOutAgainAndItsAddRefusedAsUnreachable() {
        Script s = leaderWithCommittedEntry();
        s.start(4, Membership.EMPTY).cut(1, 4);
        assertTrue(change(s, MembershipChange.addVoter(4, "")) > 0);
        int limit = MembershipChanges.LEARNER_ANSWER_TIMEOUT_ELECTIONS
                * s.node(1).config().electionTimeoutTicks();
        tickLeader(s, limit - 2);
        assertTrue(
                s.node(1).membership().isLearner(4),
                "still waited for: " + s.node(1).membership());
        tickLeader(s, 4);
        Membership now = s.node(1).committedMembership();
        assertFalse(now.contains(4), now.toString());
        assertTrue(now.wasRemoved(4), now.toString());
        assertEquals(Role.LEADER, s.node(1).role());
        assertEquals(MembershipChanges.CHANGE_REFUSED, change(s, MembershipChange.addVoter(4, "")));
        assertTrue(
                s.node(1).membershipNote().startsWith("unreachable: learner 4"),
                s.node(1).membershipNote());
    }

    @Test
    void aLearnerThatAnswersIsPromotedOnceCaughtUpWhateverTheTime() {
        Script s = leaderWithCommittedEntry();
        s.start(4, Membership.EMPTY).cut(1, 4);
        assertTrue(change(s, MembershipChange.addVoter(4, "")) > 0);
        tickLeader(s, 5);
        s.heal();
        int limit = MembershipChanges.LEARNER_ANSWER_TIMEOUT_ELECTIONS
                * s.node(1).config().electionTimeoutTicks();
        tickLeader(s, limit);
        assertTrue(
                s.node(1).committedMembership().isVoter(4),
                s.node(1).committedMembership().toString());
    }

    @Test
    void aRemovalEndsAPendingAddSoTheLearnerIsNeverPromotedLater() {
        Script s = leaderWithCommittedEntry();
        s.start(4, Membership.EMPTY).cut(1, 4);
        assertTrue(change(s, MembershipChange.addVoter(4, "")) > 0);
        s.stabilize();
        long removal = change(s, MembershipChange.remove(4));
        assertTrue(removal > 0, removal + " " + s.node(1).membershipNote() + " " + s.node(1));
        s.heal();
        tickLeader(s, 30);
        Membership now = s.node(1).committedMembership();
        assertFalse(now.contains(4), now.toString());
        // The add asked again (a waiter that had not ended, a client retrying) is refused, never re-proposed.
        assertEquals(MembershipChanges.CHANGE_REFUSED, change(s, MembershipChange.addVoter(4, "")));
        assertTrue(s.node(1).membershipNote().contains("was removed"), s.node(1).membershipNote());
    }

    @Test
    void aRemovalDoesNotCountAnswersToAnOldRoundFromANodeThatDiedSince() {
        Script s = Script.of(4).campaign(1).stabilize();
        s.propose(1, "x=1").stabilize();
        assertEquals(RaftCore.PROPOSE_THROTTLED, change(s, MembershipChange.remove(4))); // starts a round
        s.stabilize();
        assertTrue(change(s, MembershipChange.remove(4)) > 0, s.node(1).membershipNote());
        s.stabilize();
        s.isolate(2); // node 2 answered that round, then died
        tickLeader(s, s.node(1).config().electionTimeoutTicks() + 2);
        assertEquals(Role.LEADER, s.node(1).role());
        for (int i = 0; i < 5; i++) {
            assertEquals(
                    RaftCore.PROPOSE_THROTTLED,
                    change(s, MembershipChange.remove(3)),
                    "voters [1, 2] with node 2 dead would not elect: "
                            + s.node(1).membership());
            tickLeader(s, 4);
        }
        assertTrue(
                s.node(1).membershipNote().contains("without a majority that answers"),
                s.node(1).membershipNote());
        s.heal(); // node 2 is back: asked after every tick (as the driver does), the removal goes ahead
        long index = RaftCore.PROPOSE_THROTTLED;
        for (int i = 0; i < s.node(1).config().electionTimeoutTicks() && index < 0; i++) {
            index = change(s, MembershipChange.remove(3));
            tickLeader(s, 1);
        }
        assertTrue(index > 0, s.node(1).membershipNote());
    }

    @Test
    void removedIdsSurviveEncodingAndOldEntriesStillDecode() {
        Membership m = Membership.ofVoters(List.of(1, 2, 3)).without(2);
        assertEquals(m, Membership.decode(m.encode()));
        assertTrue(Membership.decode(m.encode()).wasRemoved(2));
        byte[] v1 = Membership.ofVoters(List.of(1, 2)).encode();
        v1[0] = 1; // the version before removed ids: the same bytes, less the trailing count
        byte[] old = Arrays.copyOf(v1, v1.length - 2);
        assertEquals(Membership.ofVoters(List.of(1, 2)), Membership.decode(old));
    }
}
