package dev.linden.kvnode.wal;

import dev.linden.kvnode.raft.HardState;
import dev.linden.kvnode.raft.RaftCore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The hard-state file: the current term and vote, replaced durably (written to a temporary name, forced,
 * renamed, the directory forced) so a crash leaves either the old or the new one.
 * <pre>
 *   0       4               12      16      20
 *   +-------+---------------+-------+-------+
 *   | magic | term          | vote  | crc32c|   crc32c covers bytes 0-15; vote 0 = none
 *   +-------+---------------+-------+-------+
 * </pre>
 */
public final class HardStateFile {
    public static final String NAME = "hardstate";
    static final String TMP_NAME = "hardstate.tmp";
    private static final int MAGIC = 0x4C4E4853; // "LNHS"
    private static final int BYTES = 20;

    private HardStateFile() {}

    static HardState load(Vfs vfs) throws IOException {
        if (!vfs.list().contains(NAME)) {
            return HardState.INITIAL;
        }
        ByteBuffer b = ByteBuffer.allocate(BYTES);
        try (VfsFile f = vfs.open(NAME, false)) {
            f.read(0, b);
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
        return new HardState(b.getLong(4), b.getInt(12));
    }

    private static String problem(byte[] bytes) {
        if (bytes.length != BYTES || ByteBuffer.wrap(bytes).getInt(0) != MAGIC) {
            return "bad size or magic";
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, 16);
        return (int) crc.getValue() != ByteBuffer.wrap(bytes).getInt(16) ? "checksum mismatch" : null;
    }

    static void save(Vfs vfs, HardState hs) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(BYTES);
        b.putInt(MAGIC).putLong(hs.term()).putInt(hs.votedFor() == RaftCore.NO_NODE ? 0 : hs.votedFor());
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, 16);
        b.putInt((int) crc.getValue());
        b.flip();
        VfsFiles.replaceDurably(vfs, TMP_NAME, NAME, b);
    }
}
