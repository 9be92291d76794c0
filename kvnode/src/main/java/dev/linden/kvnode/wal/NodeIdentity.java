package dev.linden.kvnode.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.zip.CRC32C;

/**
 * Who a data dir belongs to: the cluster id and node id written when the node was bootstrapped, and the
 * members it was bootstrapped with. Checked before any recovery step, so a data dir is never silently
 * taken for something it is not:
 * <ul>
 *   <li>an empty data dir is a new member only when the operator says the cluster is new
 *       ({@link InitialClusterState#NEW}, as etcd's {@code --initial-cluster-state new}). For an existing
 *       cluster it is a node that lost its disk: started empty it would vote with no memory of what it
 *       acknowledged or whom it voted for, and an acknowledged write could be lost. It is refused;</li>
 *   <li>a data dir of another cluster or another node id is refused (it would merge foreign data);</li>
 *   <li>a data dir with a log but no identity is refused (it cannot be told apart from a foreign one).</li>
 * </ul>
 * The file is {@code identity} in the WAL's directory: magic, CRC32C, then UTF-8 text
 * {@code cluster-id=...\nnode-id=...\nmembers=1,2,3\n}; written through a temporary file, forced, renamed
 * and the directory forced, like the hard state.
 */
public record NodeIdentity(String clusterId, int nodeId, List<Integer> members, long incarnation) {
    public static final String FILE = "identity";
    static final String TMP = "identity.tmp";
    private static final int MAGIC = 0x4C4E4944; // "LNID"
    /** Longest cluster id accepted (bytes of UTF-8). */
    public static final int MAX_CLUSTER_ID_BYTES = 128;

    /** What the operator says about the cluster when starting a node (etcd's --initial-cluster-state). */
    public enum InitialClusterState {
        /** The cluster is being created: an empty data dir is bootstrapped as a member. */
        NEW,
        /** The cluster exists: this node must bring its own data dir, never an empty one. */
        EXISTING,
        /**
         * The cluster exists and this node is new to it ({@code --join}): an empty data dir is bootstrapped
         * with no members; the node learns its configuration from the leader once an operator added it
         * (as a learner first: it votes only after catching up). Its id must not be a current member's.
         */
        JOIN;

        public static InitialClusterState parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "new" -> NEW;
                case "existing" -> EXISTING;
                case "join" -> JOIN;
                default ->
                    throw new IllegalArgumentException(
                            "--initial-cluster-state must be new or existing, not '" + s + "'");
            };
        }
    }

    /** A data dir that must not be used as asked; the message says why and what to do. */
    public static final class RefusedException extends IOException {
        public RefusedException(String message) {
            super(message);
        }
    }

    public NodeIdentity {
        if (clusterId == null
                || clusterId.isBlank()
                || clusterId.getBytes(StandardCharsets.UTF_8).length > MAX_CLUSTER_ID_BYTES
                || clusterId.contains("\n")) {
            throw new IllegalArgumentException("a cluster id is 1 to " + MAX_CLUSTER_ID_BYTES + " bytes on one line");
        }
        if (nodeId < 1 || (!members.isEmpty() && !members.contains(nodeId))) {
            throw new IllegalArgumentException("node id " + nodeId + " must be >= 1 and one of the members " + members
                    + " (or the members empty, for a node that joined)");
        }
        members = List.copyOf(members.stream().sorted().toList());
    }

    /** A data dir of before incarnations (0: unknown, never checked by peers). */
    public NodeIdentity(String clusterId, int nodeId, List<Integer> members) {
        this(clusterId, nodeId, members, 0);
    }

    /**
     * Checks the data dir against what this node was started as, bootstrapping it if it is empty and the
     * cluster is new. Call before reading anything else from it.
     *
     * @param clusterId the cluster id the node was started with; null to accept the one on disk (only for
     *                  a data dir that has one)
     */
    public static NodeIdentity establish(
            Vfs vfs, String clusterId, int nodeId, List<Integer> members, InitialClusterState state)
            throws IOException {
        return establish(vfs, clusterId, nodeId, members, state, 0);
    }

    /**
     * As {@link #establish(Vfs, String, int, List, InitialClusterState)}; a data dir bootstrapped now gets
     * {@code freshIncarnation} (random, from the caller's source, so the simulator stays deterministic),
     * by which peers tell it from an earlier data dir of the same node id ({@link PeerIncarnations}).
     */
    public static NodeIdentity establish(
            Vfs vfs,
            String clusterId,
            int nodeId,
            List<Integer> members,
            InitialClusterState state,
            long freshIncarnation)
            throws IOException {
        List<String> files = new ArrayList<>(vfs.list());
        files.remove(TMP);
        List<Integer> sorted = members.stream().sorted().toList();
        if (files.contains(FILE)) {
            NodeIdentity stored = read(vfs);
            if (stored.nodeId() != nodeId) {
                throw new RefusedException("this data dir belongs to node " + stored.nodeId() + " of cluster "
                        + stored.clusterId() + ", not to node " + nodeId + ": starting on it would serve another "
                        + "node's log as this one's. Point --data-dir at node " + nodeId + "'s own directory.");
            }
            if (clusterId != null && !stored.clusterId().equals(clusterId)) {
                throw new RefusedException("this data dir belongs to cluster " + stored.clusterId() + ", but the node "
                        + "was started for cluster " + clusterId + ": it would merge another cluster's data. Use this "
                        + "node's own data dir, or an empty one with --initial-cluster-state new for a new cluster.");
            }
            // The members it was bootstrapped with stay as stored: the configuration in force is in the log
            // and the snapshot, and the peers given now may name nodes added since.
            return stored;
        }
        if (!files.isEmpty()) {
            throw new RefusedException("the data dir holds " + files.size() + " files ("
                    + String.join(", ", files.subList(0, Math.min(3, files.size()))) + (files.size() > 3 ? ", ..." : "")
                    + ") but no "
                    + FILE + " file, so it cannot be told apart from another cluster's data. Move it aside and "
                    + "start with an empty data dir, or restore this node's data dir from a backup.");
        }
        if (state == InitialClusterState.EXISTING) {
            throw new RefusedException("the data dir is empty, but the cluster exists (--initial-cluster-state "
                    + "existing): this node lost its data. Started empty it would vote without its log and could "
                    + "lose acknowledged writes, so it refuses (and its peers refuse a data dir bootstrapped anew "
                    + "under its id). Recovery: restore this node's data dir from a backup; or remove the node from "
                    + "the cluster (./linden cluster remove --node " + nodeId + "), then add a new node with an unused "
                    + "id (./linden cluster add): it catches up as a learner before it votes.");
        }
        if (clusterId == null) {
            throw new RefusedException("a new data dir needs the cluster id (--cluster-id)");
        }
        NodeIdentity fresh = new NodeIdentity(
                clusterId, nodeId, state == InitialClusterState.JOIN ? List.of() : sorted, freshIncarnation);
        fresh.write(vfs);
        return fresh;
    }

    private String text() {
        return "cluster-id=" + clusterId + "\nnode-id=" + nodeId + "\nmembers="
                + String.join(",", members.stream().map(String::valueOf).toList()) + "\n"
                + (incarnation == 0 ? "" : "incarnation=" + Long.toHexString(incarnation) + "\n");
    }

    void write(Vfs vfs) throws IOException {
        byte[] body = text().getBytes(StandardCharsets.UTF_8);
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

    static NodeIdentity read(Vfs vfs) throws IOException {
        ByteBuffer b;
        try (VfsFile f = vfs.open(FILE, false)) {
            long size = f.size();
            if (size < 12 || size > 12 + 4096) {
                throw new IOException("identity file is corrupted (size " + size + ")");
            }
            b = ByteBuffer.allocate((int) size);
            VfsFiles.readFully(f, 0, b);
        }
        b.flip();
        if (b.remaining() < 12 || b.getInt(0) != MAGIC || b.getInt(8) != b.remaining() - 12) {
            throw new IOException("identity file is corrupted (bad magic or length)");
        }
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 12, b.remaining() - 12);
        if ((int) crc.getValue() != b.getInt(4)) {
            throw new IOException("identity file is corrupted (checksum mismatch)");
        }
        String cluster = null;
        int node = 0;
        List<Integer> members = new ArrayList<>();
        long incarnation = 0;
        for (String line : new String(b.array(), 12, b.remaining() - 12, StandardCharsets.UTF_8).split("\n")) {
            int eq = line.indexOf('=');
            String k = eq < 0 ? line : line.substring(0, eq);
            String v = eq < 0 ? "" : line.substring(eq + 1);
            switch (k) {
                case "cluster-id" -> cluster = v;
                case "node-id" -> node = Integer.parseInt(v);
                case "members" -> {
                    for (String m : v.split(",")) {
                        if (!m.isBlank()) {
                            members.add(Integer.parseInt(m.trim()));
                        }
                    }
                }
                case "incarnation" -> incarnation = Long.parseUnsignedLong(v, 16);
                default -> {} // fields of later versions
            }
        }
        try {
            return new NodeIdentity(cluster, node, members, incarnation);
        } catch (IllegalArgumentException e) {
            throw new IOException("identity file is corrupted: " + e.getMessage());
        }
    }
}
