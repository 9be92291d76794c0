package dev.linden.kvnode.kv;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;
import java.util.zip.CRC32C;

/**
 * Reads a KV snapshot ({@link KvSnapshotView} wrote its layout) whole, checking its checksum and every part,
 * before a state machine installs any of it: a damaged snapshot is refused, never half-loaded. Versions 1 to 4.
 */
final class KvSnapshotReader {
    private KvSnapshotReader() {}

    /** One key as the snapshot holds it (before version 3: revision 0, version 1; before 4: no lease). */
    record Key(String key, byte[] value, long create, long mod, long version, long lease) {}

    record Contents(
            long revision,
            long logTimeMillis,
            List<Key> keys,
            Map<Long, KvLeases.Lease> leases,
            KvSessions.Decoded sessions) {}

    static Contents read(long index, byte[] snapshot) {
        if (snapshot.length < 24) {
            throw new IllegalArgumentException("KV snapshot too short: " + snapshot.length + " bytes");
        }
        CRC32C crc = new CRC32C();
        crc.update(snapshot, 0, snapshot.length - 4);
        if ((int) crc.getValue()
                != ByteBuffer.wrap(snapshot, snapshot.length - 4, 4).getInt()) {
            throw new IllegalArgumentException("KV snapshot checksum mismatch");
        }
        ByteBuffer in = ByteBuffer.wrap(snapshot, 0, snapshot.length - 4);
        try {
            if (in.getInt() != KvSnapshotView.MAGIC) {
                throw new IllegalArgumentException("not a KV snapshot (bad magic)");
            }
            int version = in.getInt();
            if (version < 1 || version > KvSnapshotView.VERSION) {
                throw new IllegalArgumentException("KV snapshot version " + version + " is not one this node reads");
            }
            long applied = in.getLong();
            long logTime = version >= 2 ? in.getLong() : 0;
            long revision = version >= 3 ? in.getLong() : 0;
            if (version < 3) {
                Logger.getLogger(KvSnapshotReader.class.getName())
                        .warning("event=snapshot-before-revisions format=" + version + " index=" + applied
                                + " detail=keys restored at revision 0, version 1: a replica that replayed the log"
                                + " instead counts them otherwise, and compares on revisions may then differ;"
                                + " data from before revisions is best started afresh");
            }
            if (applied > index) {
                // Its last command may be followed by no-op entries, which never reach the state machine.
                throw new IllegalArgumentException("KV snapshot holds index " + applied + ", beyond " + index);
            }
            List<Key> keys = new ArrayList<>();
            int n = KvSnapshotBytes.count(in);
            for (int i = 0; i < n; i++) {
                byte[] key = KvSnapshotBytes.readBytes(in);
                if (key == null) {
                    throw new IllegalArgumentException("KV snapshot has a null key");
                }
                String k = new String(key, StandardCharsets.UTF_8);
                byte[] value = KvSnapshotBytes.readBytes(in);
                keys.add(
                        version >= 3
                                ? new Key(
                                        k,
                                        value,
                                        in.getLong(),
                                        in.getLong(),
                                        in.getLong(),
                                        version >= 4 ? in.getLong() : 0)
                                : new Key(k, value, 0, 0, 1, 0));
            }
            Map<Long, KvLeases.Lease> leases = version >= 4 ? KvLeases.decode(in) : Map.of();
            for (Key k : keys) {
                if (k.lease() != 0 && !leases.containsKey(k.lease())) {
                    throw new IllegalArgumentException(
                            "KV snapshot attaches " + k.key() + " to lease " + k.lease() + ", which it does not hold");
                }
            }
            KvSessions.Decoded sessions = KvSessions.decode(in, version);
            if (in.hasRemaining()) {
                throw new IllegalArgumentException("KV snapshot has " + in.remaining() + " trailing bytes");
            }
            return new Contents(revision, logTime, keys, leases, sessions);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("KV snapshot truncated", e);
        }
    }
}
