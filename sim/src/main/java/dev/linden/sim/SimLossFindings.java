package dev.linden.sim;

/**
 * What a node's recovery said about lost log, judged against what its simulated disk really lost: lost log
 * reported on a disk that lost nothing is a violation (a crash or a full disk taken for a loss: the node stays out
 * of elections for nothing, and enough such nodes elect no leader). The opposite mistake, none reported after WAL
 * records were cut or deleted while the node was down, is the event monitor's rule for both worlds ({@link
 * dev.linden.kvnode.events.EventMonitor#walRecordsLost}, told by the disk-damage faults).
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
    }
}
