package dev.linden.kvnode.wal;

import java.io.IOException;
import java.nio.ByteBuffer;

/** Small file operations over a {@link Vfs} that the WAL, the hard state and the identity file share. */
final class VfsFiles {
    private VfsFiles() {}

    /** Reads until {@code dst} is full or the file ends; returns the bytes read. */
    static int readFully(VfsFile f, long pos, ByteBuffer dst) throws IOException {
        int total = 0;
        while (dst.hasRemaining()) {
            int n = f.read(pos + total, dst);
            if (n < 0) {
                break;
            }
            total += n;
        }
        return total;
    }

    /**
     * Replaces file {@code name} with {@code content} so that a crash leaves the old or the new version,
     * never a mix: write a temporary file, force it, rename it over the old one, force the directory.
     */
    static void replaceDurably(Vfs vfs, String tmp, String name, ByteBuffer content) throws IOException {
        try (VfsFile f = vfs.open(tmp, true)) {
            f.truncate(0);
            f.write(0, content);
            f.syncNow();
        }
        vfs.rename(tmp, name);
        vfs.syncDirectory();
    }
}
