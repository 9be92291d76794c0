package dev.linden.kvnode.wal;

import dev.linden.kvnode.raft.HardState;
import dev.linden.kvnode.raft.RaftCore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The hard-state file: the current term and vote, and the term through which this node lost log
 * ({@link HardState#lostThroughTerm()}), replaced durably (written to a temporary name, forced, renamed,
 * the directory forced) so a crash leaves either the old or the new one.
 * <pre>
 *   0       4               12      16              24      28
 *   +-------+---------------+-------+---------------+-------+
 *   | magic | term          | vote  | lostThroughTerm| crc32c|   crc32c covers bytes 0-23; vote 0 = none
 *   +-------+---------------+-------+---------------+-------+
 * </pre>
 * The first version (magic "LNHS", 20 bytes: no lostThroughTerm) is still read.
 */
public final class HardStateFile {
    public static final String NAME = "hardstate";
    static final String TMP_NAME = "hardstate.tmp";
    private static final int V1_MAGIC = 0x4C4E4853; // "LNHS"
    private static final int V1_BYTES = 20;
    private static final int MAGIC = 0x4C4E4832; // "LNH2"
    private static final int BYTES = 28;

    private HardStateFile() {}

    static HardState load(Vfs vfs) throws IOException {
        if (!vfs.list().contains(NAME)) {
            return HardState.INITIAL;
        }
        ByteBuffer b = ByteBuffer.allocate(BYTES);
        try (VfsFile f = vfs.open(NAME, false)) {
            VfsFiles.readFully(f, 0, b);
        }
        b.flip();
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        String problem = problem(bytes);
        if (problem != null) {
            throw new IOException("hard state file is corrupted (" + problem + ")");
        }
        return decode(bytes);
    }

    /** The hard state these bytes hold, or null if they are not a valid hard-state file. */
    public static HardState decode(byte[] bytes) {
        if (problem(bytes) != null) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        return new HardState(b.getLong(4), b.getInt(12), bytes.length == BYTES ? b.getLong(16) : 0);
    }

    private static String problem(byte[] bytes) {
        int magic = bytes.length >= 4 ? ByteBuffer.wrap(bytes).getInt(0) : 0;
        boolean v1 = bytes.length == V1_BYTES && magic == V1_MAGIC;
        if (!v1 && !(bytes.length == BYTES && magic == MAGIC)) {
            return "bad size or magic";
        }
        int covered = bytes.length - 4;
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, covered);
        if ((int) crc.getValue() != ByteBuffer.wrap(bytes).getInt(covered)) {
            return "checksum mismatch";
        }
        long term = ByteBuffer.wrap(bytes).getLong(4);
        long lost = v1 ? 0 : ByteBuffer.wrap(bytes).getLong(16);
        return term < 0 || lost < 0 || lost > term ? "impossible values" : null;
    }

    static void save(Vfs vfs, HardState hs) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(BYTES);
        b.putInt(MAGIC)
                .putLong(hs.term())
                .putInt(hs.votedFor() == RaftCore.NO_NODE ? 0 : hs.votedFor())
                .putLong(hs.lostThroughTerm());
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, BYTES - 4);
        b.putInt((int) crc.getValue());
        b.flip();
        VfsFiles.replaceDurably(vfs, TMP_NAME, NAME, b);
    }
}
