package dev.linden.kvnode.kv;

import java.nio.ByteBuffer;

/** Reading a KV snapshot's counts and byte strings, each checked against what is left of it. */
final class KvSnapshotBytes {
    private KvSnapshotBytes() {}

    static int count(ByteBuffer in) {
        int n = in.getInt();
        if (n < 0 || n > in.remaining()) {
            throw new IllegalArgumentException("KV snapshot has a bad count " + n);
        }
        return n;
    }

    static byte[] readBytes(ByteBuffer in) {
        int n = in.getInt();
        if (n == -1) {
            return null;
        }
        if (n < 0 || n > in.remaining()) {
            throw new IllegalArgumentException("KV snapshot has a bad length " + n);
        }
        byte[] v = new byte[n];
        in.get(v);
        return v;
    }
}
