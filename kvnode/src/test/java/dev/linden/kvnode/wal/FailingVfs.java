package dev.linden.kvnode.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.Consumer;

/** Wraps a Vfs so writes can fail like a full disk. */
final class FailingVfs implements Vfs {
    static volatile boolean diskFull;
    /**
     * Bytes the disk still takes before it is full ({@code -1}: no limit). A write that crosses the limit is
     * taken in part, then refused, as a file system's short write then ENOSPC.
     */
    static volatile long writeBudgetBytes = -1;

    private final Vfs inner;

    FailingVfs(Vfs inner) {
        this.inner = inner;
    }

    @Override
    public List<String> list() throws IOException {
        return inner.list();
    }

    @Override
    public VfsFile open(String name, boolean create) throws IOException {
        VfsFile f = inner.open(name, create);
        return new VfsFile() {
            @Override
            public long size() throws IOException {
                return f.size();
            }

            @Override
            public int read(long position, ByteBuffer dst) throws IOException {
                return f.read(position, dst);
            }

            @Override
            public void write(long position, ByteBuffer src) throws IOException {
                if (diskFull) {
                    throw new IOException("No space left on device");
                }
                long budget = writeBudgetBytes;
                if (budget >= 0 && src.remaining() > budget) {
                    ByteBuffer part = src.slice();
                    part.limit((int) budget);
                    f.write(position, part);
                    writeBudgetBytes = 0;
                    throw new IOException("No space left on device (after " + budget + " bytes of the write)");
                }
                if (budget >= 0) {
                    writeBudgetBytes = budget - src.remaining();
                }
                f.write(position, src);
            }

            @Override
            public void truncate(long size) throws IOException {
                f.truncate(size);
            }

            @Override
            public void sync(Runnable onDurable, Consumer<IOException> onFailure) {
                f.sync(onDurable, onFailure);
            }

            @Override
            public void syncNow() throws IOException {
                f.syncNow();
            }

            @Override
            public void close() throws IOException {
                f.close();
            }
        };
    }

    @Override
    public void rename(String from, String to) throws IOException {
        inner.rename(from, to);
    }

    @Override
    public void delete(String name) throws IOException {
        inner.delete(name);
    }

    @Override
    public void syncDirectory() throws IOException {
        inner.syncDirectory();
    }
}
