package dev.linden.kvnode.raft;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.function.IntFunction;

/**
 * The bytes of a snapshot: the configuration in force at its index, then the state machine's own bytes.
 * The configuration travels inside the snapshot, so a node that installs or restarts from one knows who
 * its peers are without any log before it. Layout (big-endian):
 * <pre>
 *   magic "LSN1" (4) | membership length (4) | membership ({@link Membership#encode()}) | state bytes
 * </pre>
 * A snapshot written before this layout (no magic) is all state bytes, with no configuration in it.
 */
public final class SnapshotPayload {
    private static final int MAGIC = 0x4C534E31; // "LSN1"
    private static final int HEADER_BYTES = 8;

    private SnapshotPayload() {}

    /**
     * The configuration framed before state bytes that {@code encodeAfter} writes after the header bytes it is
     * given: one array, no copy of the state.
     */
    public static byte[] frame(Membership membership, IntFunction<byte[]> encodeAfter) {
        byte[] m = membership.encode();
        byte[] out = encodeAfter.apply(HEADER_BYTES + m.length);
        ByteBuffer.wrap(out).putInt(MAGIC).putInt(m.length).put(m);
        return out;
    }

    public static byte[] frame(Membership membership, byte[] state) {
        byte[] m = membership.encode();
        return ByteBuffer.allocate(HEADER_BYTES + m.length + state.length)
                .putInt(MAGIC)
                .putInt(m.length)
                .put(m)
                .put(state)
                .array();
    }

    private static int membershipLength(byte[] data) {
        if (data.length < HEADER_BYTES || ByteBuffer.wrap(data).getInt(0) != MAGIC) {
            return -1;
        }
        int n = ByteBuffer.wrap(data).getInt(4);
        if (n < 0 || n > data.length - HEADER_BYTES) {
            throw new IllegalArgumentException("snapshot header names " + n + " membership bytes in " + data.length);
        }
        return n;
    }

    /** The configuration in the snapshot, or {@code otherwise} for a snapshot written without one. */
    public static Membership membership(byte[] data, Membership otherwise) {
        int n = membershipLength(data);
        return n < 0 ? otherwise : Membership.decode(Arrays.copyOfRange(data, HEADER_BYTES, HEADER_BYTES + n));
    }

    /** The state machine's bytes. */
    public static byte[] state(byte[] data) {
        int n = membershipLength(data);
        return n < 0 ? data : Arrays.copyOfRange(data, HEADER_BYTES + n, data.length);
    }
}
