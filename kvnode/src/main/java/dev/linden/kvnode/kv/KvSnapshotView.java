package dev.linden.kvnode.kv;

import dev.linden.kvnode.node.StateMachine;
import dev.linden.kvnode.raft.InvariantViolation;
import dev.linden.kvnode.raft.Snapshot;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The KV state as of one applied index, taken on the apply stage and encoded later on the snapshot stage while
 * later commands apply: the data as a {@link FrozenValues} view (keys and value handles copied, value bytes
 * read from the slabs when encoding), the sessions already encoded (they are small next to the data). Layout
 * (big-endian), ending with a CRC32C of everything before it so a damaged snapshot is refused, never loaded:
 * <pre>
 *   magic "LNKV" | version 3 | applied index (8) | log time millis (8) | store revision (8) | key count (4)
 *   | (key length, key, value length or -1, value, create revision, mod revision, version, lease)...
 *   | lease count (4) | (id, ttl millis, last keep-alive index)... | sessions | crc32c (4)
 * </pre>
 */
final class KvSnapshotView implements StateMachine.SnapshotView {
    static final int MAGIC = 0x4C4E4B56; // "LNKV"
    /**
     * 4: leases, and each key's; 3: the store's revision and each key's revisions; 2: the log's clock, each
     * session's last activity on it, and the tombstones. 1 to 3 are still read (before 3 keys get revision 0,
     * version 1).
     */
    static final int VERSION = 4;

    private final long appliedIndex;
    private final long logTimeMillis;
    private final ValueStore store;
    private final FrozenValues data;
    /** The leases and the sessions, encoded (small next to the data). */
    private final byte[] sessions;

    /** On the apply stage. */
    KvSnapshotView(long appliedIndex, KvLeases leases, KvSessions sessions, ValueStore store) {
        this.appliedIndex = appliedIndex;
        this.logTimeMillis = sessions.logTimeMillis();
        long sessionBytes = leases.encodedBytes() + sessions.encodedBytes();
        if (sessionBytes > Snapshot.MAX_BYTES) {
            throw new IllegalStateException("KV sessions of " + sessionBytes + " bytes exceed the snapshot limit");
        }
        ByteBuffer b = ByteBuffer.allocate((int) sessionBytes);
        leases.encodeTo(b);
        sessions.encodeTo(b);
        if (b.hasRemaining()) {
            throw new InvariantViolation("KV sessions sized " + sessionBytes + " but wrote " + b.position());
        }
        this.sessions = b.array();
        this.store = store;
        this.data = store.freeze();
    }

    /** On any thread, once. */
    @Override
    public byte[] encode(int headerBytes) {
        long size = headerBytes + 4 + 4 + 8 + 8 + 8 + 4 + data.encodedBytes() + sessions.length + 4; // 4: the checksum
        if (size > Snapshot.MAX_BYTES) {
            throw new IllegalStateException("KV state of " + size + " bytes exceeds the snapshot limit");
        }
        byte[] out = new byte[(int) size];
        ByteBuffer b = ByteBuffer.wrap(out).position(headerBytes);
        b.putInt(MAGIC)
                .putInt(VERSION)
                .putLong(appliedIndex)
                .putLong(logTimeMillis)
                .putLong(data.storeRevision())
                .putInt(data.size());
        data.encodeTo(b);
        b.put(sessions);
        CRC32C crc = new CRC32C();
        crc.update(out, headerBytes, b.position() - headerBytes);
        b.putInt((int) crc.getValue());
        if (b.hasRemaining()) {
            throw new InvariantViolation("KV snapshot sized " + size + " but wrote " + b.position());
        }
        return out;
    }

    /** On the apply stage: the slots the view read may be reused. */
    @Override
    public void release() {
        store.release(data);
    }
}
