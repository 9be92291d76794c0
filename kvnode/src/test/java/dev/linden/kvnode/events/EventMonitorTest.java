package dev.linden.kvnode.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each property of {@link EventMonitor}: a hand-made stream that breaks it is caught, a clean one passes. */
class EventMonitorTest {
    private static void caught(Streams s, String property, int node, long index) {
        List<Violation> v = s.check();
        assertTrue(!v.isEmpty(), "expected a violation of " + property);
        Violation first = v.get(0);
        assertEquals(property, first.property(), first.describe());
        assertEquals(node, first.node(), first.describe());
        assertEquals(index, first.index(), first.describe());
        assertTrue(first.atMillis() > 0, first.describe());
    }

    private static void clean(Streams s) {
        assertEquals(List.of(), s.check());
    }

    private static Streams threeStarted() {
        return new Streams().started(1, 0, 0, 0).started(2, 0, 0, 0).started(3, 0, 0, 0);
    }

    @Test
    void electionSafety() {
        caught(threeStarted().leader(1, 3, 0, 0).leader(2, 3, 0, 0), "election safety", 2, 0);
        clean(threeStarted().leader(1, 3, 0, 0).leader(2, 4, 0, 0).leader(2, 4, 0, 0));
    }

    @Test
    void oneVotePerTermAcrossRestarts() {
        Streams twice =
                threeStarted().saved(1, 5, 2).voted(1, 5, 2).started(1, 5, 3, 0).voted(1, 5, 3);
        caught(twice, "one vote per term", 1, 0);
        clean(threeStarted().saved(1, 5, 2).voted(1, 5, 2).started(1, 5, 2, 0).voted(1, 5, 2));
    }

    @Test
    void aVoteIsGrantedOnlyOnceDurable() {
        // The vote-not-persisted bug: the hard state saved names no one, yet the vote goes out.
        caught(threeStarted().saved(1, 5, 0).voted(1, 5, 2), "durable vote", 1, 0);
        clean(threeStarted().saved(1, 5, 2).voted(1, 5, 2));
    }

    @Test
    void aCandidateCampaignsOnlyOnceItsOwnVoteIsDurable() {
        caught(threeStarted().saved(1, 5, 0).role(1, 5, "candidate"), "durable vote", 1, 0);
        clean(threeStarted().role(1, 4, "pre_candidate").saved(1, 5, 1).role(1, 5, "candidate"));
    }

    @Test
    void aVoteAfterDroppedEventsIsNotJudged() {
        clean(threeStarted().saved(1, 5, 0).drop(1, 3).voted(1, 6, 2));
    }

    @Test
    void leaderCommitsOnlyItsOwnTerm() {
        caught(threeStarted().leader(1, 3, 0, 4, 1, 2).commit(1, 3, true, 4, 2), "commit rule", 1, 4);
        // As it is elected a leader may carry a commit index of an older entry; a follower learns any.
        clean(threeStarted()
                .leader(1, 3, 0, 5, 1, 2, 5, 3)
                .commit(1, 3, false, 4, 2)
                .commit(1, 3, true, 5, 3));
    }

    @Test
    void commitIndexNeverMovesBackWithinALife() {
        caught(threeStarted().commit(2, 3, false, 10, 3).commit(2, 3, false, 8, 3), "commit index monotonic", 2, 8);
        clean(threeStarted().commit(2, 3, false, 10, 3).started(2, 3, 0, 0).commit(2, 3, false, 8, 3));
        // The start event lost (torn into the last line of the life before): the numbering starting over says it.
        clean(threeStarted().commit(2, 3, false, 10, 3).startLost(2).commit(2, 3, false, 8, 3));
    }

    @Test
    void eachNodeAppliesInOrder() {
        caught(threeStarted().applied(1, 1, 3, 1, 0).applied(1, 5, 1, 1, 0), "applied in order", 1, 5);
        clean(threeStarted().applied(1, 1, 3, 1, 0).applied(1, 4, 2, 1, 0));
        // After a snapshot is restored the next index is the one after it.
        clean(threeStarted().snapshot(1, false, 10, 7).applied(1, 11, 2, 1, 0));
        // A gap in the numbering: events were dropped, so order is not judged for the rest of that life.
        clean(threeStarted().applied(1, 1, 3, 1, 0).drop(1, 2).applied(1, 9, 1, 1, 0));
    }

    @Test
    void committedPrefixNeverChanges() {
        caught(threeStarted().commit(1, 2, false, 5, 2).commit(2, 3, false, 5, 3), "committed prefix unchanged", 2, 5);
        clean(threeStarted().commit(1, 2, false, 5, 2).commit(2, 3, false, 5, 2));
    }

    @Test
    void everyNodeAppliesTheSameEntryAtAnIndex() {
        caught(threeStarted().applied(1, 1, 3, 1, 0).applied(2, 1, 3, 1, 100), "state machine safety", 2, 1);
        clean(threeStarted().applied(1, 1, 3, 1, 0).applied(2, 1, 3, 1, 0));
    }

    @Test
    void leaderCompletenessWhicheverIsSeenFirst() {
        // Index 5 (term 2) was known committed in term 2; node 3 leads term 3 with a log ending at 4.
        Streams commitFirst = threeStarted().commit(1, 2, true, 5, 2).leader(3, 3, 0, 4, 1, 2);
        caught(commitFirst, "leader completeness", 3, 5);
        Streams leaderFirst = threeStarted().leader(3, 3, 0, 4, 1, 2).commit(1, 2, true, 5, 2);
        caught(leaderFirst, "leader completeness", 3, 5);
        // The same index of another term in the leader's log: not the committed entry.
        caught(threeStarted().commit(1, 2, true, 5, 2).leader(3, 3, 0, 6, 1, 1), "leader completeness", 3, 5);
        // Holding it, or having it in its snapshot, or a commit learned in the leader's own term: fine.
        clean(threeStarted().commit(1, 2, true, 5, 2).leader(3, 3, 0, 7, 1, 1, 4, 2, 7, 3));
        clean(threeStarted().commit(1, 2, true, 5, 2).leader(3, 3, 6, 7, 7, 3));
        clean(threeStarted().leader(3, 3, 0, 4, 1, 2).commit(1, 3, false, 5, 3));
    }

    @Test
    void snapshotsAtOneIndexHoldOneState() {
        Streams stale = threeStarted().snapshot(1, true, 100, 0xabc).snapshot(2, false, 100, 0xdef);
        caught(stale, "snapshot state", 2, 100);
        clean(threeStarted().snapshot(1, true, 100, 0xabc).snapshot(2, false, 100, 0xabc));
    }

    @Test
    void violationsAreToldAsFound() {
        List<Violation> told = new ArrayList<>();
        EventMonitor m = new EventMonitor(told::add);
        threeStarted().leader(1, 3, 0, 0).leader(2, 3, 0, 0).events().forEach(m::accept);
        assertEquals(1, told.size());
        assertEquals(1L, m.facts().get("violations"));
    }

    @Test
    void aLeaderPuttingASecondConfigurationInForceBeforeTheFirstIsCommittedIsCaught() {
        caught(
                threeStarted().membership(1, 10, 9, true, 1, 2, 3, 4).membership(1, 11, 9, true, 1, 3, 4),
                "one membership change at a time",
                1,
                11);
        clean(threeStarted().membership(1, 10, 9, true, 1, 2, 3, 4).membership(1, 12, 10, true, 1, 3, 4));
        // A follower takes what its leader appended, committed or not; and a first sight in a life judges nothing.
        clean(threeStarted().membership(2, 10, 5, false, 1, 2, 3, 4).membership(2, 11, 5, false, 1, 3, 4));
        clean(threeStarted().membership(1, 11, 9, true, 1, 3, 4));
    }

    @Test
    void aNodeCountedTowardACommitStillHoldsItWhenItStartsAgain() {
        Streams lostAck =
                threeStarted().saved(2, 3, 1).commitCounting(1, 3, 20, 1, 2).startedHolding(2, 3, 17, 0);
        caught(lostAck, "acknowledged entries durable", 2, 20);
        assertTrue(
                lostAck.check().get(0).describe().contains("only through index 17"),
                lostAck.check().toString());
        // The leader counted itself: it is held to it too.
        caught(
                threeStarted().commitCounting(1, 3, 20, 1, 2).startedHolding(1, 3, 19, 0),
                "acknowledged entries " + "durable",
                1,
                20);
        clean(threeStarted().commitCounting(1, 3, 20, 1, 2).startedHolding(2, 3, 20, 0));
        clean(threeStarted().commitCounting(1, 3, 20, 1, 2).startedHolding(3, 3, 5, 0)); // not counted
        // A damaged disk: the node says it lost log, or its hard state came back behind what it announced.
        clean(threeStarted().commitCounting(1, 3, 20, 1, 2).startedHolding(2, 3, 17, 3));
        clean(threeStarted().saved(2, 3, 1).commitCounting(1, 3, 20, 1, 2).startedHolding(2, 0, 0, 0));
        // Held once: after a start that holds it, the next start is held to counts made since.
        clean(threeStarted()
                .commitCounting(1, 3, 20, 1, 2)
                .startedHolding(2, 3, 20, 0)
                .startedHolding(2, 3, 18, 0));
        // Counted in a term the node did not hold durably when it started: an acknowledgement of its next life, seen
        // out of order; held at the start after.
        clean(threeStarted().commitCounting(1, 9, 20, 1, 2).startedHolding(2, 7, 17, 0));
        caught(
                threeStarted()
                        .commitCounting(1, 9, 20, 1, 2)
                        .startedHolding(2, 7, 17, 0)
                        .startedHolding(2, 9, 19, 0),
                "acknowledged entries durable",
                2,
                20);
        // A stream written before the field: not judged.
        clean(threeStarted().commitCounting(1, 3, 20, 1, 2).started(2, 3, 0, 0));
    }

    @Test
    void countsAndLastIndexesSurviveTheCodecAndOlderLinesStillRead() {
        NodeEvent.CommitAdvanced c = new NodeEvent.CommitAdvanced(5, 1, 2, 3, true, 40, 3, new int[] {1, 3});
        NodeEvent.CommitAdvanced back = (NodeEvent.CommitAdvanced) EventCodec.decode(EventCodec.encode(c));
        assertEquals(List.of(1, 3), Arrays.stream(back.counted()).boxed().toList());
        NodeEvent.Started s = new NodeEvent.Started(5, 1, 1, 3, 2, 10, 0, 44);
        assertEquals(s, EventCodec.decode(EventCodec.encode(s)));
        String old = "{\"e\":\"started\",\"t\":5,\"n\":1,\"s\":1,\"term\":3,\"vote\":2,\"snap\":10,\"lost\":0}";
        assertEquals(-1, ((NodeEvent.Started) EventCodec.decode(old)).lastIndex());
    }

    @Test
    void aNodeWhoseWalLostRecordsReportsLostLogAtItsNextStart() {
        Streams trusted =
                threeStarted().commit(2, 1, false, 5, 1).walLost(2, "lose-tail cut 2 record(s) off wal-1.seg");
        caught(trusted.startedHolding(2, 1, 3, 0), "lost log reported", 2, 0);
        assertTrue(
                trusted.check().get(0).describe().contains("lose-tail cut 2 record(s)"),
                trusted.check().toString());
        assertEquals(1, trusted.check().size(), "not held to what it acknowledged as well: the world cut its log");
        clean(threeStarted().commit(2, 1, false, 5, 1).walLost(2, "lose-tail").startedHolding(2, 1, 3, 1));
        // Before the node's first event: its first start is the next one. Judged once: a later start is not.
        caught(new Streams().walLost(2, "lose-segments").started(2, 0, 0, 0), "lost log reported", 2, 0);
        clean(new Streams()
                .walLost(2, "lose-segments")
                .startedHolding(2, 0, 0, 1)
                .started(2, 1, 0, 0));
        caught(
                threeStarted()
                        .commit(2, 1, false, 5, 1)
                        .walLost(2, "x")
                        .commit(1, 1, false, 5, 1)
                        .started(2, 1, 0, 0),
                "lost log reported",
                2,
                0);
    }

    @Test
    void theAcknowledgementRuleCanBeLeftUnjudgedWhenNodeTimesDoNotOrderNodes() {
        Streams lostAck = threeStarted().commitCounting(1, 3, 20, 1, 2).startedHolding(2, 3, 17, 0);
        EventMonitor m = new EventMonitor();
        m.skipAcknowledgementRule("clocks moved");
        lostAck.feed(m);
        assertEquals(List.of(), m.violations());
        assertEquals("not judged: clocks moved", m.facts().get("restarts-held-to-acknowledgements"));
    }
}
