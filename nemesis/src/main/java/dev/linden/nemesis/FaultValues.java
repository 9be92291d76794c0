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
import java.util.Map;

/**
 * Each fault's value in histories ({@code :value}): its parameters in a fixed key order (histories are compared
 * byte for byte), numbers as longs, or null for an operation without parameters.
 */
final class FaultValues implements Fault.Handler<Map<String, Object>> {
    private static Map<String, Object> map(Object... keyValues) {
        return FaultHistory.map(keyValues);
    }

    public Map<String, Object> startPartition(StartPartition f) {
        return f.holdLong() ? map("shape", f.shape(), "hold", "long") : map("shape", f.shape());
    }

    public Map<String, Object> stopPartition(StopPartition f) {
        return null;
    }

    public Map<String, Object> startClog(StartClog f) {
        return map("behavior", "clog", "targets", f.targets());
    }

    public Map<String, Object> startLoss(StartLoss f) {
        return map("behavior", "loss", "rate", f.rate());
    }

    public Map<String, Object> startCorrupt(StartCorrupt f) {
        return map("behavior", "corrupt", "rate", f.rate());
    }

    public Map<String, Object> startDuplicate(StartDuplicate f) {
        return map("behavior", "duplicate", "rate", f.rate());
    }

    public Map<String, Object> startReorder(StartReorder f) {
        return map("behavior", "reorder", "jitter-micros", f.jitterMicros());
    }

    public Map<String, Object> stopLink(StopLink f) {
        return map("behavior", f.link().text());
    }

    public Map<String, Object> kill(Kill f) {
        return switch (f.during()) {
            case NOW -> map("targets", f.targets());
            case FSYNC -> map("targets", f.targets(), "during", "fsync");
            case DISK_OP -> map("targets", f.targets(), "during", "disk-op", "after-ops", f.afterOps());
            case LEADER_CHANGE -> map("targets", f.targets(), "during", "leader-change");
        };
    }

    public Map<String, Object> start(Start f) {
        return FaultHistory.all();
    }

    public Map<String, Object> pause(Pause f) {
        return map("targets", f.targets());
    }

    public Map<String, Object> resume(Resume f) {
        return FaultHistory.all();
    }

    public Map<String, Object> startClock(StartClock f) {
        Map<String, Object> m = map("targets", f.targets(), "offset-ms", f.offsetMillis(), "drift-ppm", f.driftPpm());
        f.othersDriftPpm().ifPresent(ppm -> m.put("others-drift-ppm", ppm));
        if (f.isolate()) {
            m.put("isolate", true);
        }
        return m;
    }

    public Map<String, Object> stopClock(StopClock f) {
        return FaultHistory.all();
    }

    public Map<String, Object> transferLeader(TransferLeader f) {
        return map("to", "random");
    }

    public Map<String, Object> replaceNode(ReplaceNode f) {
        return map("remove", f.remove());
    }

    public Map<String, Object> startDiskFull(StartDiskFull f) {
        return map("targets", f.targets());
    }

    public Map<String, Object> stopDiskFull(StopDiskFull f) {
        return FaultHistory.all();
    }

    public Map<String, Object> startFsyncStall(StartFsyncStall f) {
        return map("targets", f.targets(), "stall-ms", f.stallMillis());
    }

    public Map<String, Object> stopFsyncStall(StopFsyncStall f) {
        return FaultHistory.all();
    }

    public Map<String, Object> bitflip(Bitflip f) {
        return map("targets", f.targets());
    }

    public Map<String, Object> wipeDisk(WipeDisk f) {
        return map("targets", f.targets());
    }

    public Map<String, Object> loseTail(LoseTail f) {
        return map(
                "targets", f.targets(), "records", f.records(), "cut", f.insideRecord() ? "inside-record" : "boundary");
    }

    public Map<String, Object> loseSegments(LoseSegments f) {
        return map("targets", f.targets());
    }

    public Map<String, Object> restartAsNew(RestartAsNew f) {
        return map("targets", f.targets());
    }

    public Map<String, Object> startAnswerFlood(StartAnswerFlood f) {
        return map("calls", (long) f.calls(), "value-bytes", (long) f.valueBytes());
    }

    public Map<String, Object> startClientConnFlood(StartClientConnFlood f) {
        return map("targets", f.targets(), "connections-per-node", (long) f.connectionsPerNode());
    }

    public Map<String, Object> startPeerConnFlood(StartPeerConnFlood f) {
        return map("targets", f.targets(), "connections-per-node", (long) f.connectionsPerNode());
    }

    public Map<String, Object> startHalfFrames(StartHalfFrames f) {
        return map(
                "port",
                f.port(),
                "targets",
                f.targets(),
                "frames-per-node",
                (long) f.framesPerNode(),
                "frame-bytes",
                (long) f.frameBytes());
    }

    public Map<String, Object> startForgedPeer(StartForgedPeer f) {
        return map("credentials", f.credentials(), "term-jump", f.termJump());
    }

    public Map<String, Object> rogueOperator(HostileFault.RogueOperator f) {
        return map("targets", f.targets());
    }

    public Map<String, Object> stopAttack(StopAttack f) {
        return null;
    }
}
