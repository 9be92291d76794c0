package dev.linden.sim;

/**
 * What a node's recovery said about lost log, judged against what its simulated disk really lost. Both
 * mistakes are violations: lost log reported on a disk that lost nothing (a crash or a full disk taken for a
 * loss: the node stays out of elections for nothing, and enough such nodes elect no leader), and none reported
 * after WAL records were cut or deleted while the node was down (it trusts the log it has left and votes with
 * less than it may have acknowledged; processes are judged the same way from their event streams).
 */
final class SimLossFindings {
    private SimLossFindings() {}

    /** After a recovery that moved the node's lost-through term from {@code lostBefore} to {@code lostNow}. */
    static void check(Simulation sim, int node, SimDisk disk, long lostBefore, long lostNow) {
        if (lostNow > lostBefore && !disk.lossInjected) {
            sim.violation("node " + node + " recovered and reported lost log (lost-through-term " + lostNow
                    + ") although its disk lost nothing (no wipe, cut, deleted file or flipped bit; fsync honest): "
                    + "a false data-loss finding that keeps it out of elections");
        }
        if (disk.walRecordsDestroyed) {
            disk.walRecordsDestroyed = false;
            if (lostNow == 0) {
                sim.violation("node " + node + " recovered from a WAL whose records were cut or deleted while it "
                        + "was down and reported no lost log: it votes with less log than it may have acknowledged");
            }
        }
    }
}
