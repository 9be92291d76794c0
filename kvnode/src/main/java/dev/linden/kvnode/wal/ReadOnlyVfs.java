package dev.linden.kvnode.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * A {@link Vfs} that can only read: files are opened read-only and every call that would change the
 * directory or a file throws, so a reader handed it (an audit of a stopped node's WAL) cannot repair,
 * truncate or delete anything, even by mistake.
 */
final class ReadOnlyVfs implements Vfs {
    private final Path dir;

    ReadOnlyVfs(Path dir) {
        this.dir = dir;
    }

    @Override
    public List<String> list() throws IOException {
        List<String> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (Stream<Path> s = Files.list(dir)) {
            s.forEach(p -> out.add(p.getFileName().toString()));
        }
        return out;
    }

    @Override
    public VfsFile open(String name, boolean create) throws IOException {
        if (create) {
            throw refused("create " + name);
        }
        FileChannel ch = FileChannel.open(dir.resolve(name), StandardOpenOption.READ);
        return new VfsFile() {
            @Override
            public long size() throws IOException {
                return ch.size();
            }

            @Override
            public int read(long position, ByteBuffer dst) throws IOException {
                return ch.read(dst, position);
            }

            @Override
            public void write(long position, ByteBuffer src) throws IOException {
                throw refused("write " + name);
            }

            @Override
            public void truncate(long size) throws IOException {
                throw refused("truncate " + name);
            }

            @Override
            public void sync(Runnable onDurable, Consumer<IOException> onFailure) {
                onFailure.accept(refused("sync " + name));
            }

            @Override
            public void syncNow() throws IOException {
                throw refused("sync " + name);
            }

            @Override
            public void close() throws IOException {
                ch.close();
            }
        };
    }

    @Override
    public void rename(String from, String to) throws IOException {
        throw refused("rename " + from);
    }

    @Override
    public void delete(String name) throws IOException {
        throw refused("delete " + name);
    }

    @Override
    public void syncDirectory() throws IOException {
        throw refused("sync the directory");
    }

    private IOException refused(String what) {
        return new IOException("read-only view of " + dir + ": refused to " + what);
    }
}
