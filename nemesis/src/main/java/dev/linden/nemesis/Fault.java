package dev.linden.nemesis;

import java.util.List;
import java.util.Set;

/**
 * One fault window: from {@code startMillis} to {@code endMillis} of run time.
 *
 * @param nodes         the nodes it hits (crash, pause, clock, disk, bit flip, clog)
 * @param blockedLinks  for a partition: directed links (from, to) that drop every message
 * @param clockJumpMillis / driftPpm  for a clock fault
 */
public record Fault(FaultKind kind, long startMillis, long endMillis, List<Integer> nodes, Set<Link> blockedLinks,
                    long clockJumpMillis, long driftPpm, String description) {

    /** A directed link. */
    public record Link(int from, int to) {}

    @Override
    public String toString() {
        return kind.cliName() + " [" + startMillis + "ms-" + endMillis + "ms] " + description;
    }
}
