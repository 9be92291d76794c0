package dev.linden.nemesis;

import dev.linden.nemesis.DiskFault.Bitflip;
import dev.linden.nemesis.DiskFault.LoseSegments;
import dev.linden.nemesis.DiskFault.LoseTail;
import dev.linden.nemesis.DiskFault.RestartAsNew;
import dev.linden.nemesis.DiskFault.StartDiskFull;
import dev.linden.nemesis.DiskFault.StartFsyncStall;
import dev.linden.nemesis.DiskFault.StopDiskFull;
import dev.linden.nemesis.DiskFault.StopFsyncStall;
import dev.linden.nemesis.DiskFault.WipeDisk;
import dev.linden.nemesis.Fault.Kill;
import dev.linden.nemesis.Fault.Pause;
import dev.linden.nemesis.Fault.ReplaceNode;
import dev.linden.nemesis.Fault.Resume;
import dev.linden.nemesis.Fault.Start;
import dev.linden.nemesis.Fault.StartClock;
import dev.linden.nemesis.Fault.StartClog;
import dev.linden.nemesis.Fault.StartCorrupt;
import dev.linden.nemesis.Fault.StartDuplicate;
import dev.linden.nemesis.Fault.StartLoss;
import dev.linden.nemesis.Fault.StartPartition;
import dev.linden.nemesis.Fault.StartReorder;
import dev.linden.nemesis.Fault.StopClock;
import dev.linden.nemesis.Fault.StopLink;
import dev.linden.nemesis.Fault.StopPartition;
import dev.linden.nemesis.Fault.TransferLeader;
import dev.linden.nemesis.HostileFault.StartAnswerFlood;
import dev.linden.nemesis.HostileFault.StartClientConnFlood;
import dev.linden.nemesis.HostileFault.StartForgedPeer;
import dev.linden.nemesis.HostileFault.StartHalfFrames;
import dev.linden.nemesis.HostileFault.StartPeerConnFlood;
import dev.linden.nemesis.HostileFault.StopAttack;

/** Each fault's name in histories ({@code :f}): one name per operation, Jepsen's where Jepsen has one. */
final class FaultNames implements Fault.Handler<String> {
    private static final String START_LINK = "start-link";

    public String startPartition(StartPartition f) {
        return "start-partition";
    }

    public String stopPartition(StopPartition f) {
        return "stop-partition";
    }

    public String startClog(StartClog f) {
        return START_LINK;
    }

    public String startLoss(StartLoss f) {
        return START_LINK;
    }

    public String startCorrupt(StartCorrupt f) {
        return START_LINK;
    }

    public String startDuplicate(StartDuplicate f) {
        return START_LINK;
    }

    public String startReorder(StartReorder f) {
        return START_LINK;
    }

    public String stopLink(StopLink f) {
        return "stop-link";
    }

    public String kill(Kill f) {
        return "kill";
    }

    public String start(Start f) {
        return "start";
    }

    public String pause(Pause f) {
        return "pause";
    }

    public String resume(Resume f) {
        return "resume";
    }

    public String startClock(StartClock f) {
        return "start-clock";
    }

    public String stopClock(StopClock f) {
        return "stop-clock";
    }

    public String transferLeader(TransferLeader f) {
        return "transfer-leader";
    }

    public String replaceNode(ReplaceNode f) {
        return "replace-node";
    }

    public String startDiskFull(StartDiskFull f) {
        return "start-disk-full";
    }

    public String stopDiskFull(StopDiskFull f) {
        return "stop-disk-full";
    }

    public String startFsyncStall(StartFsyncStall f) {
        return "start-fsync-stall";
    }

    public String stopFsyncStall(StopFsyncStall f) {
        return "stop-fsync-stall";
    }

    public String bitflip(Bitflip f) {
        return "bitflip";
    }

    public String wipeDisk(WipeDisk f) {
        return "wipe-disk";
    }

    public String loseTail(LoseTail f) {
        return "lose-tail";
    }

    public String loseSegments(LoseSegments f) {
        return "lose-segments";
    }

    public String restartAsNew(RestartAsNew f) {
        return "restart-as-new";
    }

    public String startAnswerFlood(StartAnswerFlood f) {
        return "start-answer-flood";
    }

    public String startClientConnFlood(StartClientConnFlood f) {
        return "start-client-conn-flood";
    }

    public String startPeerConnFlood(StartPeerConnFlood f) {
        return "start-peer-conn-flood";
    }

    public String startHalfFrames(StartHalfFrames f) {
        return "start-half-frames";
    }

    public String startForgedPeer(StartForgedPeer f) {
        return "start-forged-peer";
    }

    public String rogueOperator(HostileFault.RogueOperator f) {
        return "rogue-operator";
    }

    public String stopAttack(StopAttack f) {
        return "stop-" + f.attack().text();
    }
}
