package dev.linden.nemesis;

import dev.linden.workloads.gen.Gen;
import dev.linden.workloads.gen.Generator;
import java.util.List;

/**
 * The sequence in which a node that lost acknowledged log and still votes loses acknowledged writes, as a
 * hand-made nemesis generator for both worlds (a random schedule meets it in about one run in ten in the
 * simulator at intensity 3, far more rarely on real processes):
 * <ol>
 *   <li>one follower lags: it is paused while the leader and the other follower go on committing;</li>
 *   <li>the leader dies;</li>
 *   <li>the other follower, the only live holder of the newest committed entries, loses them to {@code damage}
 *       (a {@code lose-tail}, {@code lose-segments} or {@code restart-as-new} aimed at the up-to-date follower:
 *       the paused one does not count, it answers nothing);</li>
 *   <li>the lagging follower resumes: the two form a majority without those entries, unless the damaged node
 *       refuses to vote until it has caught up;</li>
 *   <li>the leader is started again, so the final reads run on a whole cluster.</li>
 * </ol>
 */
public final class DiskDamageScenario {
    private static final long MS = 1_000_000L;

    private DiskDamageScenario() {}

    /** The sequence around {@code damage}, starting {@code afterMillis} into the run. */
    public static Generator whileAFollowerLagsTheLeaderDies(DiskFault damage, long afterMillis) {
        return Gen.phases(List.of(
                Gen.sleep(afterMillis * MS),
                Gen.once(new Fault.Pause(Targets.UP_TO_DATE_FOLLOWER).op()),
                Gen.sleep(2_000 * MS),
                Gen.once(new Fault.Kill("leader").op()),
                Gen.once(damage.op()),
                Gen.sleep(300 * MS),
                Gen.once(new Fault.Resume().op()),
                Gen.sleep(4_000 * MS),
                Gen.once(new Fault.Start().op())));
    }

    /** A {@code lose-tail} of the up-to-date follower's last {@code records} records, cut at a boundary. */
    public static DiskFault loseTail(long records) {
        return new DiskFault.LoseTail(Targets.UP_TO_DATE_FOLLOWER, records, false);
    }

    /** {@code lose-segments} or {@code restart-as-new} of the up-to-date follower. */
    public static DiskFault damage(String f) {
        return switch (f) {
            case "lose-tail" -> loseTail(FaultOps.MAX_TAIL_RECORDS_LOST);
            case "lose-segments" -> new DiskFault.LoseSegments(Targets.UP_TO_DATE_FOLLOWER);
            case "restart-as-new" -> new DiskFault.RestartAsNew(Targets.UP_TO_DATE_FOLLOWER);
            default -> throw new IllegalArgumentException("not a disk-damage fault: " + f);
        };
    }
}
