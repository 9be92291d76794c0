package dev.linden.nemesis;

import java.util.List;

/**
 * The {@link Fault}s of disks: full, slow, a flipped bit, replaced, and the disk-damage faults that destroy
 * part of a stopped node's data and start it again ({@link TailCut} plans a {@code lose-tail}).
 */
public sealed interface DiskFault extends Fault
        permits DiskFault.StartDiskFull,
                DiskFault.StopDiskFull,
                DiskFault.StartFsyncStall,
                DiskFault.StopFsyncStall,
                DiskFault.Bitflip,
                DiskFault.WipeDisk,
                DiskFault.LoseTail,
                DiskFault.LoseSegments,
                DiskFault.RestartAsNew {
    /** The targets' disks refuse writes. */
    record StartDiskFull(String targets) implements DiskFault {
        public StartDiskFull {
            Targets.check(targets);
        }

        public <R> R accept(Handler<R> h) {
            return h.startDiskFull(this);
        }
    }

    /** Every full disk has room again. */
    record StopDiskFull() implements DiskFault {
        public <R> R accept(Handler<R> h) {
            return h.stopDiskFull(this);
        }
    }

    /** Each of the targets' fsyncs takes {@code stallMillis} more. */
    record StartFsyncStall(String targets, long stallMillis) implements DiskFault {
        public StartFsyncStall {
            Targets.check(targets);
        }

        public <R> R accept(Handler<R> h) {
            return h.startFsyncStall(this);
        }
    }

    /** Every fsync runs at its normal speed again. */
    record StopFsyncStall() implements DiskFault {
        public <R> R accept(Handler<R> h) {
            return h.stopFsyncStall(this);
        }
    }

    /** A bit flips in a synced record of the target's log, and the node restarts: it must detect it. */
    record Bitflip(String targets) implements DiskFault {
        public Bitflip {
            Targets.check(targets);
        }

        public <R> R accept(Handler<R> h) {
            return h.bitflip(this);
        }
    }

    /** The target is killed, its disk replaced by an empty one, and it starts: it must refuse to rejoin. */
    record WipeDisk(String targets) implements DiskFault {
        public WipeDisk {
            Targets.check(targets);
        }

        public <R> R accept(Handler<R> h) {
            return h.wipeDisk(this);
        }
    }

    /**
     * The target is killed, the last {@code records} synced records of its WAL's last segment are cut off (at a
     * record's start, or inside it if {@code insideRecord}), and it starts as usual.
     */
    record LoseTail(String targets, long records, boolean insideRecord) implements DiskFault {
        public LoseTail {
            Targets.check(targets);
            if (records < 1) {
                throw new IllegalArgumentException("lose-tail loses at least one record, not " + records);
            }
        }

        public <R> R accept(Handler<R> h) {
            return h.loseTail(this);
        }
    }

    /** Where a {@link LoseTail} cuts, as histories name it ({@code "cut"}). */
    List<String> CUTS = List.of("boundary", "inside-record");

    /** The target is killed, every WAL segment deleted (hard state, identity, snapshots kept), and it starts. */
    record LoseSegments(String targets) implements DiskFault {
        public LoseSegments {
            Targets.check(targets);
        }

        public <R> R accept(Handler<R> h) {
            return h.loseSegments(this);
        }
    }

    /** The target is killed, its data dir emptied, and it is started with the bootstrap command. */
    record RestartAsNew(String targets) implements DiskFault {
        public RestartAsNew {
            Targets.check(targets);
        }

        public <R> R accept(Handler<R> h) {
            return h.restartAsNew(this);
        }
    }
}
