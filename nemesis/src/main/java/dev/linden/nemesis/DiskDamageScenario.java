package dev.linden.nemesis;

import dev.linden.workloads.gen.Gen;
import dev.linden.workloads.gen.Generator;
import dev.linden.workloads.gen.Op;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
    public static Generator whileAFollowerLagsTheLeaderDies(Op damage, long afterMillis) {
        return Gen.phases(List.of(
                Gen.sleep(afterMillis * MS),
                Gen.once(Op.fault("pause", Map.of("targets", Targets.UP_TO_DATE_FOLLOWER))),
                Gen.sleep(2_000 * MS),
                Gen.once(Op.fault("kill", Map.of("targets", "leader"))),
                Gen.once(damage),
                Gen.sleep(300 * MS),
                Gen.once(Op.fault("resume", Map.of("targets", "all"))),
                Gen.sleep(4_000 * MS),
                Gen.once(Op.fault("start", Map.of("targets", "all")))));
    }

    /** A {@code lose-tail} of the up-to-date follower's last {@code records} records, cut at a boundary. */
    public static Op loseTail(long records) {
        Map<String, Object> v = new LinkedHashMap<>(); // in order: histories are compared
        v.put("targets", Targets.UP_TO_DATE_FOLLOWER);
        v.put("records", records);
        v.put("cut", "boundary");
        return Op.fault("lose-tail", v);
    }

    /** {@code lose-segments} or {@code restart-as-new} of the up-to-date follower. */
    public static Op damage(String f) {
        if (!f.equals("lose-segments") && !f.equals("restart-as-new") && !f.equals("lose-tail")) {
            throw new IllegalArgumentException("not a disk-damage fault: " + f);
        }
        return f.equals("lose-tail")
                ? loseTail(FaultOps.MAX_TAIL_RECORDS_LOST)
                : Op.fault(f, Map.of("targets", Targets.UP_TO_DATE_FOLLOWER));
    }
}
