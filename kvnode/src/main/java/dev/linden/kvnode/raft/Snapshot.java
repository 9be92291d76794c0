package dev.linden.kvnode.raft;

/**
 * A state-machine snapshot covering every entry up to {@code index} (whose term is {@code term}). Of its own
 * snapshots the core keeps only the metadata ({@link SnapshotMeta}); one sent by the leader is held by a follower
 * while its chunks arrive and until the driver restores it. The bytes travel through the driver, the log store
 * and the wire.
 */
public record Snapshot(long index, long term, byte[] data) {
    /** Largest snapshot accepted from a peer (a Java array bound, well below it). */
    public static final int MAX_BYTES = 1 << 30;

    public Snapshot {
        if (index < 1 || term < 1 || data == null || data.length > MAX_BYTES) {
            throw new IllegalArgumentException("snapshot needs index >= 1, term >= 1 and at most " + MAX_BYTES
                    + " bytes; got index " + index + " term " + term);
        }
    }

    @Override
    public String toString() {
        return "Snapshot{" + index + "@" + term + " " + data.length + "B}";
    }
}
