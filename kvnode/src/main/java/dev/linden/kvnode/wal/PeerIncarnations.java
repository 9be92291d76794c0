package dev.linden.kvnode.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * Which incarnation of each peer this node has talked to, kept in {@code peers} in the data dir. An
 * incarnation is drawn when a data dir is bootstrapped ({@link NodeIdentity#incarnation()}); a member
 * whose data dir was wiped and bootstrapped again (restarted with the command that created the cluster)
 * comes back with another one. It holds none of the log it acknowledged and remembers none of its votes,
 * so letting it vote could lose acknowledged writes: peers that knew its earlier incarnation refuse it,
 * whatever {@code --initial-cluster-state} it was given, and say how to recover (as etcd refuses a member
 * that "has already been bootstrapped").
 *
 * <p>The first incarnation heard from a peer is recorded durably before any of its messages is taken;
 * incarnation 0 (a data dir made before incarnations existed) is neither recorded nor refused. Written
 * once per peer (and once per node replacing one), so it is off the write path. Thread-safe.
 * <pre>
 *   0       4       8       12
 *   +-------+-------+-------+------------------------------------
 *   | magic | crc32c| length| UTF-8 lines "peer-id=incarnation-hex"
 *   +-------+-------+-------+------------------------------------
 * </pre>
 */
public final class PeerIncarnations {
    public static final String FILE = "peers";
    private static final String TMP = "peers.tmp";
    private static final int MAGIC = 0x4C4E5052; // "LNPR"
    /** Most peers remembered: far more than any cluster's members over its life. */
    static final int MAX_PEERS = 4096;

    private final Vfs vfs;
    private final TreeMap<Integer, Long> known;

    private PeerIncarnations(Vfs vfs, TreeMap<Integer, Long> known) {
        this.vfs = vfs;
        this.known = known;
    }

    /** Reads the record in {@code vfs} (none yet: empty). */
    public static PeerIncarnations load(Vfs vfs) throws IOException {
        TreeMap<Integer, Long> known = new TreeMap<>();
        if (vfs.list().contains(FILE)) {
            ByteBuffer b;
            try (VfsFile f = vfs.open(FILE, false)) {
                long size = f.size();
                if (size < 12 || size > 12 + 64L * MAX_PEERS) {
                    throw new IOException("the " + FILE + " file is corrupted (size " + size + ")");
                }
                b = ByteBuffer.allocate((int) size);
                VfsFiles.readFully(f, 0, b);
            }
            CRC32C crc = new CRC32C();
            crc.update(b.array(), 12, b.capacity() - 12);
            if (b.getInt(0) != MAGIC || b.getInt(8) != b.capacity() - 12 || (int) crc.getValue() != b.getInt(4)) {
                throw new IOException("the " + FILE + " file is corrupted (bad magic, length or checksum)");
            }
            for (String line : new String(b.array(), 12, b.capacity() - 12, StandardCharsets.UTF_8).split("\n")) {
                int eq = line.indexOf('=');
                if (eq > 0) {
                    known.put(
                            Integer.parseInt(line.substring(0, eq)),
                            Long.parseUnsignedLong(line.substring(eq + 1), 16));
                }
            }
        }
        return new PeerIncarnations(vfs, known);
    }

    /**
     * Whether peer {@code peerId} in {@code incarnation} may talk to this node: null if so (a first
     * incarnation is recorded durably before this returns), else the refusal, saying why and what to do.
     */
    public synchronized String admit(int peerId, long incarnation) throws IOException {
        if (incarnation == 0) {
            return null;
        }
        Long seen = known.get(peerId);
        if (seen == null) {
            if (known.size() >= MAX_PEERS) {
                return "node " + peerId + " refused: this node already remembers " + MAX_PEERS + " peers";
            }
            TreeMap<Integer, Long> next = new TreeMap<>(known);
            next.put(peerId, incarnation);
            save(next); // durable before it counts: a failed write admits nothing
            known.put(peerId, incarnation);
            return null;
        }
        if (seen == incarnation) {
            return null;
        }
        return "node " + peerId + " was a member with data dir incarnation " + Long.toHexString(seen)
                + ", but this is incarnation " + Long.toHexString(incarnation) + ": its data dir was bootstrapped "
                + "anew (wiped, then started with --initial-cluster-state new?). It holds none of the log it "
                + "acknowledged, so it may not vote. Recovery: remove it (./linden cluster remove --node " + peerId
                + "), then add a new node with an unused id (./linden cluster add); or restore its own data dir";
    }

    /** The recorded incarnations, for tests and evidence. */
    public synchronized Map<Integer, Long> known() {
        return Map.copyOf(known);
    }

    private void save(TreeMap<Integer, Long> content) throws IOException {
        StringBuilder text = new StringBuilder();
        for (var e : content.entrySet()) {
            text.append(e.getKey())
                    .append('=')
                    .append(Long.toHexString(e.getValue()))
                    .append('\n');
        }
        byte[] body = text.toString().getBytes(StandardCharsets.UTF_8);
        CRC32C crc = new CRC32C();
        crc.update(body);
        ByteBuffer b = ByteBuffer.allocate(12 + body.length);
        b.putInt(MAGIC)
                .putInt((int) crc.getValue())
                .putInt(body.length)
                .put(body)
                .flip();
        VfsFiles.replaceDurably(vfs, TMP, FILE, b);
    }
}
