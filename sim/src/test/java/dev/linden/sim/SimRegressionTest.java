package dev.linden.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.linden.harness.TestResult;
import dev.linden.nemesis.FaultKind;
import dev.linden.nemesis.FaultSchedule;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Seeds that once failed, kept as fixed runs. */
class SimRegressionTest {
    /**
     * Found by the properties: an early leader crash made every client give up on its session's first
     * write, so its next writes acknowledged seqs the cluster never saw; the cluster answered
     * SESSION_EXPIRED to each, forever, and no write succeeded after the faults healed. Clients now start
     * a new session on SESSION_EXPIRED.
     */
    @Test
    void clientsWhoseFirstWritesFailedStillGetWritesThrough() {
        TestResult r = Simulation.test()
                .nodes(3)
                .timeLimitSeconds(6)
                .nemesis("kill,pause,clog,loss")
                .schedule(FaultSchedule.Options.defaults(Set.of(), 3).withIntensity(2.98))
                .seed(-847767)
                .build()
                .run();
        assertEquals(0, r.exitCode(), r.summary());
    }

    /**
     * Found by a control sweep: one ready granted a vote in term 4 and then, in the same burst, moved to
     * term 5 and voted again; only the term-5 hard state was saved before both replies went out. That is
     * safe (the node can never vote in term 4 again), and the durable-vote monitor now says so.
     */
    /** A sweep's seed as `./linden sim --seeds N --workload all [--nodes 5]` runs it (nemesis all, 30 s). */
    private static TestResult sweepSeed(int nodes, String workload, long seed) {
        return Simulation.test()
                .nodes(nodes)
                .workload(workload)
                .nemesis("all")
                .timeLimitSeconds(30)
                .schedule(FaultSchedule.Options.defaults(FaultKind.parseList("all"), nodes))
                .rate(200)
                .concurrency(5)
                .keys(5)
                .seed(seed)
                .build()
                .run();
    }

    @Test
    void aVoteGrantedInATermAlreadySupersededOnDiskIsNoViolation() {
        TestResult r = sweepSeed(3, "list-append", 386);
        assertEquals(0, r.exitCode(), r.summary());
    }

    /**
     * Found by a 5-node sweep: a follower resumed from a pause with a burst queued, acknowledged index 980,
     * and a snapshot from the leader later in the same burst lowered its durable index to its old commit
     * (978) before the acknowledgement went out. The ack was true when made (the old log stays on disk
     * until the snapshot is written); the monitor no longer judges acks overtaken by a snapshot or a term.
     */
    @Test
    void anAckOvertakenBySnapshotInTheSameBurstIsNoViolation() {
        TestResult r = sweepSeed(5, "register", 156);
        assertEquals(0, r.exitCode(), r.summary());
    }
}
