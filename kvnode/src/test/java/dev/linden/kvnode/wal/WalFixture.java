package dev.linden.kvnode.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.linden.kvnode.node.Stage;
import dev.linden.kvnode.raft.Entry;
import dev.linden.kvnode.raft.Ready;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** What the WAL tests share: an inline stage, entries, writes that must complete, and damage to files. */
final class WalFixture {
    private WalFixture() {}

    /** Runs every task inline: the tests are single-threaded and deterministic. */
    static final Stage INLINE = new Stage() {
        @Override
        public void execute(Runnable task) {
            task.run();
        }

        @Override
        public Cancellable schedule(long delayMillis, Runnable task) {
            throw new UnsupportedOperationException();
        }
    };

    /** A WAL on real files in {@code dir}, on the inline stage. */
    static WalLogStore open(Path dir, WalConfig config) throws IOException {
        return new WalLogStore(new NioVfs(dir, Runnable::run), INLINE, config);
    }

    static WalLogStore open(Path dir, long segmentBytes) throws IOException {
        return open(dir, new WalConfig(segmentBytes, 1000));
    }

    static Entry entry(long term, long index, String payload) {
        return new Entry(term, index, Entry.Kind.COMMAND, payload.getBytes());
    }

    /** Appends {@code entries} as one write, which the inline sync must make durable at once. */
    static void write(WalLogStore wal, long id, Entry... entries) {
        AtomicInteger durable = new AtomicInteger();
        wal.append(new Ready.LogWrite(id, List.of(entries)), durable::incrementAndGet, e -> {
            throw new AssertionError(e);
        });
        assertEquals(1, durable.get(), "inline sync completes the write");
    }

    static long segmentCount(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".seg"))
                    .count();
        }
    }

    /** Damage: flips the bits of {@code mask} in the byte at {@code at}. */
    static void flip(Path file, long at, int mask) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(at);
            int b = f.read();
            f.seek(at);
            f.write(b ^ mask);
        }
    }

    /** Damage: writes {@code bytes} over the file from {@code at}. */
    static void overwrite(Path file, long at, byte[] bytes) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(at);
            f.write(bytes);
        }
    }
}
