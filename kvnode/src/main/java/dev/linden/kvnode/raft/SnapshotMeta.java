package dev.linden.kvnode.raft;

/** What the core knows of a snapshot: the entries it covers (through {@code index}, of {@code term}) and its size. */
public record SnapshotMeta(long index, long term, long sizeBytes) {
    public static final SnapshotMeta NONE = new SnapshotMeta(0, 0, 0);

    public static SnapshotMeta of(Snapshot s) {
        return s == null ? NONE : new SnapshotMeta(s.index(), s.term(), s.data().length);
    }
}
