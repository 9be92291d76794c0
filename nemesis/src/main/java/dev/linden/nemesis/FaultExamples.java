package dev.linden.nemesis;

import dev.linden.nemesis.Fault.CrashPoint;
import dev.linden.nemesis.Fault.Link;
import dev.linden.nemesis.HostileFault.Attack;
import java.util.List;
import java.util.OptionalLong;
import java.util.SplittableRandom;

/**
 * One fault of each operation (two where a parameter changes what a binding does: a kill at once, inside an
 * fsync, after disk operations, at a leader change; a clock with and without the others' drift), in an order a
 * cluster can take them one after another: what a binding's test walks to show it answers every fault. Nemesis's
 * own test checks that every {@link Fault} record is here.
 */
public final class FaultExamples {
    private FaultExamples() {}

    public static List<Fault> all() {
        return List.of(
                new Fault.StartPartition("halves", false),
                new Fault.StopPartition(),
                new Fault.StartPartition("new-leader", true),
                new Fault.StopPartition(),
                new Fault.StartClog("one"),
                new Fault.StopLink(Link.CLOG),
                new Fault.StartLoss(0.1),
                new Fault.StartCorrupt(0.01),
                new Fault.StopLink(Link.CORRUPT),
                new Fault.StopLink(Link.LOSS),
                new Fault.StartDuplicate(0.1),
                new Fault.StopLink(Link.DUPLICATE),
                new Fault.StartReorder(2_000),
                new Fault.StopLink(Link.REORDER),
                new Fault.Kill("one"),
                new Fault.Start(),
                new Fault.Kill("leader", CrashPoint.FSYNC, 0),
                new Fault.Start(),
                new Fault.Kill("leader", CrashPoint.LEADER_CHANGE, 0),
                new Fault.Start(),
                new Fault.Kill("one", CrashPoint.DISK_OP, 3),
                new Fault.Start(),
                new Fault.Pause("minority"),
                new Fault.Resume(),
                new Fault.StartClock("one", 500, 20_000),
                new Fault.StopClock(),
                new Fault.StartClock("leader", 0, -500_000, OptionalLong.of(500_000)),
                new Fault.StopClock(),
                FaultOps.start(FaultKind.STALE_LEADER, new SplittableRandom(1), 5),
                new Fault.StopClock(),
                new Fault.TransferLeader(),
                new Fault.ReplaceNode("one"),
                new DiskFault.StartDiskFull("one"),
                new DiskFault.StopDiskFull(),
                new DiskFault.StartFsyncStall("leader", 300),
                new DiskFault.StopFsyncStall(),
                new DiskFault.Bitflip("one"),
                new DiskFault.WipeDisk("one"),
                new DiskFault.LoseTail(Targets.UP_TO_DATE_FOLLOWER, 5, true),
                new DiskFault.LoseSegments(Targets.UP_TO_DATE_FOLLOWER),
                new DiskFault.RestartAsNew("one"),
                new HostileFault.StartAnswerFlood(10, 1_024),
                new HostileFault.StopAttack(Attack.ANSWER_FLOOD),
                new HostileFault.StartClientConnFlood("all", 10),
                new HostileFault.StopAttack(Attack.CLIENT_CONN_FLOOD),
                new HostileFault.StartPeerConnFlood("followers", 10),
                new HostileFault.StopAttack(Attack.PEER_CONN_FLOOD),
                new HostileFault.StartHalfFrames("peer", "one", 1, 1 << 20),
                new HostileFault.StopAttack(Attack.HALF_FRAMES),
                new HostileFault.StartForgedPeer("none", 1_000),
                new HostileFault.StopAttack(Attack.FORGED_PEER),
                new HostileFault.RogueOperator("leader"));
    }
}
